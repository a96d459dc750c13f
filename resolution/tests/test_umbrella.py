"""Umbrella links are not identity: twenty ward groups giving their borough's mutual-aid site
are twenty groups, while one group listed twice is still one."""

from resolution import blocking, engine
from resolution.features import record_features
from resolution.services import current_model

WARDS = [
    "Northside",
    "Riverside",
    "Brixton",
    "Stockwell",
    "Clapham",
    "Vauxhall",
    "Kennington",
    "Streatham",
    "Norwood",
    "Oval",
    "Waterloo",
    "Larkhall",
    "Ferndale",
    "Thornton",
    "Coldharbour",
    "Herne",
    "Tulse",
    "Gipsy",
    "Knights",
    "Leonards",
    "Bishops",
    "Princes",
]
UMBRELLA = "https://lambethmutualaid.example.org/"


def _record(uid: int, name: str, *, website: str = UMBRELLA, facebook: str = "") -> dict:
    return record_features(
        uid,
        {
            "name": name,
            "city": "London",
            "state": "ENG",
            "latitude": 51.46,
            "longitude": -0.115,
            "website": website,
            "facebook": facebook,
        },
    )


def _clusters(records: list[dict]) -> tuple[dict[int, int], list[engine.Pair]]:
    pairs = engine.predict(records, current_model())
    ids = [r["unique_id"] for r in records]
    return engine.cluster(ids, pairs, threshold=engine.MATCH_THRESHOLD), pairs


def test_it_keeps_ward_groups_sharing_their_borough_site_apart() -> None:
    records = [_record(i, f"{ward} Mutual Aid") for i, ward in enumerate(WARDS, start=1)]
    clusters, _pairs = _clusters(records)
    assert len(set(clusters.values())) == len(WARDS)


def test_it_still_joins_one_ward_group_listed_twice() -> None:
    records = [_record(i, f"{ward} Mutual Aid") for i, ward in enumerate(WARDS, start=1)]
    records.append(_record(100, "Northside Mutual Aid"))
    clusters, _pairs = _clusters(records)
    assert clusters[100] == clusters[1]
    assert clusters[1] != clusters[2]


def test_it_joins_a_group_by_its_own_link_despite_the_umbrella() -> None:
    records = [_record(i, f"{ward} Mutual Aid") for i, ward in enumerate(WARDS, start=1)]
    own = "https://facebook.com/groups/riversidemutualaid"
    records.append(_record(2, "Riverside Mutual Aid", facebook=own))
    records[1] = _record(2, "Riverside Mutual Aid", facebook=own)
    records.append(_record(200, "Riverside Mutual Aid Network", facebook=own))
    clusters, _pairs = _clusters(records)
    assert clusters[200] == clusters[2]
    assert clusters[2] != clusters[1]


def test_it_counts_names_naming_different_places_against_a_match() -> None:
    # Two records sharing a link only they carry, in one city: Fellegi-Sunter would call
    # them one group on the link and the city alone.
    shared = "https://docs.example.org/forms/d/lambeth-intake"
    records = [
        _record(1, "Brixton Mutual Aid", website=shared),
        _record(2, "Clapham Mutual Aid", website=shared),
    ]
    clusters, pairs = _clusters(records)
    assert clusters[1] != clusters[2]
    if pairs:
        assert pairs[0].explanation["name"][0] < 0


def test_it_weighs_a_link_by_the_names_that_carry_it() -> None:
    records = [_record(i, f"{ward} Mutual Aid") for i, ward in enumerate(WARDS, start=1)]
    prepared, _report = blocking.prepare(records)
    assert prepared[0]["links"] == [f"{len(WARDS)}|lambethmutualaid.example.org"]
    assert blocking.link_counts(records)["lambethmutualaid.example.org"] == len(WARDS)


def test_it_reads_words_run_together_as_the_same_words() -> None:
    site = "https://salzburg.ecogood.example.org/"
    records = [
        record_features(
            1, {"name": "Gemeinwohl-Ökonomie Salzburg", "city": "Salzburg", "website": site}
        ),
        record_features(2, {"name": "Gemeinwohlökonomie Regionalgruppe Salzburg", "website": site}),
    ]
    clusters, pairs = _clusters(records)
    assert clusters[1] == clusters[2]
    assert pairs[0].explanation["name"][0] > 0


def test_it_scores_one_chapter_listed_by_zip_code_above_differently_named_groups() -> None:
    # Seen in the review queue: identical DSA rows (one per ZIP code, a state and no town)
    # at 26%, differently named groups sharing an umbrella link at 62%.
    chapter = [
        record_features(i, {"name": "Central Indiana", "state": "IN", "postcode": code})
        for i, code in enumerate(("46201", "46202", "46107"), start=1)
    ]
    wards = [_record(10 + i, f"{ward} Mutual Aid") for i, ward in enumerate(WARDS)]
    pairs = engine.predict(chapter + wards, current_model(), threshold=0.0)
    same = [p.probability for p in pairs if p.right <= 3]
    different = [p.probability for p in pairs if p.left >= 10]
    assert same and min(same) >= engine.MATCH_THRESHOLD
    assert different and max(different) < engine.REVIEW_THRESHOLD
