"""Duplicate finding stays bounded: a name a thousand rows share is compared among neighbours,
not every row with every other, and the review queue says what was left out."""

from pathlib import Path

from django.test import Client
from django.urls import reverse

from resolution import blocking, engine
from resolution.features import record_features
from resolution.models import ResolutionRun, ReviewPair
from sources.services import import_file


def _same_name(n: int) -> list[dict]:
    return [
        record_features(
            i,
            {"name": "New York City", "city": "New York", "state": "NY", "postcode": f"{i:05d}"},
        )
        for i in range(1, n + 1)
    ]


def test_it_compares_a_large_block_only_among_neighbours() -> None:
    records = _same_name(1000)
    prepared, report = blocking.prepare(records)
    # One name, its distinctive words, their opening and one city: four blocks of 1,000
    # records, each 499,500 pairs if compared in full.
    assert report.pairs_unbounded == 4 * 499_500
    assert report.pairs_compared <= 4 * 1000 * blocking.WINDOW
    assert report.capped[0].records == 1000
    assert all(len(r["block_keys"]) <= 2 * 4 for r in prepared)


def test_it_keeps_a_small_block_whole() -> None:
    _prepared, report = blocking.prepare(_same_name(blocking.BLOCK_CAP))
    assert report.capped_total == 0
    assert report.pairs_compared == 4 * blocking.BLOCK_CAP * (blocking.BLOCK_CAP - 1) // 2


def test_it_still_joins_a_large_block_of_one_listing() -> None:
    records = _same_name(300)
    pairs, report = engine.find_pairs(records, engine.load_model())
    assert report.capped_total > 0 and len(pairs) <= report.pairs_compared
    clusters = engine.cluster([r["unique_id"] for r in records], pairs)
    assert len(set(clusters.values())) == 1


def test_it_tells_the_queue_what_was_capped(
    tmp_path: Path, geocoder: None, site_coordinator
) -> None:
    rows = ["Resource,City,State/Territory,Country,General"]
    rows += [f"Rose City Mutual Aid {i},Portland,OR,USA," for i in range(1, 121)]
    path = tmp_path / "one-city.csv"
    path.write_text("\n".join(rows) + "\n")
    import_file(user=None, path=path, source_name="one city")
    run = ResolutionRun.objects.get()
    assert run.records == 120 and run.capped_total >= 1
    assert {"kind": "city", "records": 120}.items() <= run.capped_blocks[0].items()
    # One review at most for each two organizations, never one for each two rows.
    assert ReviewPair.objects.count() <= run.pairs_compared

    client = Client()
    client.force_login(site_coordinator)
    html = client.get(reverse("resolution:queue")).content.decode()
    assert "The last search for duplicates" in html
    assert "7,140" in html  # 120 × 119 / 2, formatted for the reader
    assert "the city portland, OR" in html
