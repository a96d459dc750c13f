"""Rows of one group in one region are one organization with a service area (issue 10)."""

from pathlib import Path

import pytest

from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.models import SourceRecord
from sources.services import import_file
from sources.services.records import ImportOutcome

# The shape of the DSA chapter list: one row per ZIP code, naming the chapter that serves it.
CHAPTERS = (
    "zip,chapter\n"
    "97201,Portland\n"
    "97202,Portland\n"
    "94607,East Bay\n"
    "94704,East Bay\n"
    "94609,East Bay\n"
    "98101,Seattle\n"
)


@pytest.fixture
def geocoder(places):  # type: ignore[no-untyped-def]
    reset_geocoder()
    yield
    reset_geocoder()


def _write(tmp_path: Path, text: str, name: str = "chapters.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_makes_one_organization_of_a_chapters_rows(tmp_path: Path, geocoder, places) -> None:
    _run, outcome = import_file(user=None, path=_write(tmp_path, CHAPTERS), source_name="dsa")
    assert (outcome.rows, outcome.created, outcome.grouped) == (6, 3, 3)
    assert outcome.organizations_created == 3
    assert sorted(Organization.objects.values_list("name", flat=True)) == [
        "East Bay",
        "Portland",
        "Seattle",
    ]
    east_bay = Organization.objects.get(name="East Bay")
    assert {p.name for p in east_bay.service_areas.all()} == {"Oakland", "Berkeley"}
    record = SourceRecord.objects.get(name="East Bay")
    assert [r["raw"]["zip"] for r in record.grouped_rows] == ["94704", "94609"]
    # A group of one row needs no service area beyond its home place.
    assert not Organization.objects.get(name="Seattle").service_areas.exists()


def test_it_shows_a_records_rows_on_the_source_page(
    tmp_path: Path, geocoder, client, site_coordinator
) -> None:
    from django.urls import reverse

    run, _outcome = import_file(user=None, path=_write(tmp_path, CHAPTERS), source_name="dsa")
    client.force_login(site_coordinator)
    html = " ".join(
        client.get(reverse("sources:source", args=[run.source.slug])).content.decode().split()
    )
    assert "<td>3 <span" in html and "(2 places)" in html


def test_it_keeps_groups_of_one_name_in_distant_regions_apart(tmp_path: Path, geocoder) -> None:
    text = "name,city,state\nMutual Aid,Portland,OR\nMutual Aid,New York City,NY\n"
    _run, outcome = import_file(user=None, path=_write(tmp_path, text), source_name="hub")
    assert (outcome.created, outcome.grouped) == (2, 0)
    assert Organization.objects.filter(name="Mutual Aid").count() == 2


def test_it_keeps_groups_with_different_websites_apart(tmp_path: Path, geocoder) -> None:
    text = (
        "name,city,state,website\n"
        "Mutual Aid,Oakland,CA,oakland-aid.example.org\n"
        "Mutual Aid,Berkeley,CA,berkeley-aid.example.org\n"
    )
    _run, outcome = import_file(user=None, path=_write(tmp_path, text), source_name="hub")
    assert (outcome.created, outcome.grouped) == (2, 0)


def test_it_reimports_a_grouped_list_and_follows_its_service_area(tmp_path: Path, geocoder) -> None:
    path = _write(tmp_path, CHAPTERS)
    import_file(user=None, path=path, source_name="dsa")
    _run, again = import_file(user=None, path=path, source_name="dsa")
    assert (again.created, again.updated, again.unchanged, again.vanished) == (0, 0, 3, 0)
    # Berkeley's ZIP code moves to another chapter: East Bay's service area shrinks.
    moved = CHAPTERS.replace("94704,East Bay\n", "")
    _run, third = import_file(user=None, path=_write(tmp_path, moved), source_name="dsa")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    east_bay = Organization.objects.get(name="East Bay")
    assert {p.name for p in east_bay.service_areas.all()} == {"Oakland"}
    assert Organization.objects.count() == 3


def test_it_previews_the_organizations_after_grouping(tmp_path: Path, geocoder) -> None:
    _run, outcome = import_file(
        user=None, path=_write(tmp_path, CHAPTERS), source_name="dsa", dry_run=True
    )
    preview = outcome.as_preview()
    assert (preview["rows"], preview["organizations_created"], preview["grouped"]) == (6, 3, 3)
    assert not preview["looks_misused"]  # six rows are no misuse


def test_it_calls_thousands_of_rows_with_few_names_a_likely_misuse() -> None:
    assert ImportOutcome(rows=24371, names=207).looks_misused
    assert not ImportOutcome(rows=24371, names=20000).looks_misused
    assert not ImportOutcome(rows=300, names=3).looks_misused


def test_it_counts_a_chapter_in_the_places_it_serves(
    tmp_path: Path, geocoder, places, client
) -> None:
    from django.urls import reverse

    from directory.selectors import directory_counts

    import_file(user=None, path=_write(tmp_path, CHAPTERS), source_name="dsa")
    east_bay = Organization.objects.get(name="East Bay")
    assert east_bay.home_place == places["oakland"]
    # Based in Oakland, it serves Berkeley too: Berkeley's page counts and names it.
    assert directory_counts(places["berkeley"])["serving"] == 1
    assert directory_counts(places["alameda"])["serving"] == 0  # based there already
    page = client.get(reverse("place", args=[places["berkeley"].slug])).content.decode()
    assert "Serving here from elsewhere" in page and "East Bay" in page
    listing = client.get(reverse("organization", args=[east_bay.slug])).content.decode()
    assert "Places it serves" in listing and "Berkeley" in listing
    # Its map draws the places it serves around its pin.
    assert 'data-served="served-points"' in listing and '"Berkeley"]' in listing


def test_it_gives_a_chapter_its_service_area_back_when_a_reimport_is_undone(
    tmp_path: Path, geocoder, site_coordinator
) -> None:
    from sources.services import import_run_undo

    import_file(user=site_coordinator, path=_write(tmp_path, CHAPTERS), source_name="dsa")
    moved = CHAPTERS.replace("94704,East Bay\n", "")
    second, _outcome = import_file(
        user=site_coordinator, path=_write(tmp_path, moved, "moved.csv"), source_name="dsa"
    )
    east_bay = Organization.objects.get(name="East Bay")
    assert {p.name for p in east_bay.service_areas.all()} == {"Oakland"}
    import_run_undo(user=site_coordinator, run=second)
    assert {p.name for p in east_bay.service_areas.all()} == {"Oakland", "Berkeley"}
    record = SourceRecord.objects.get(name="East Bay")
    assert [r["raw"]["zip"] for r in record.grouped_rows] == ["94704", "94609"]
