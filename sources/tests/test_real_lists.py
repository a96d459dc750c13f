"""The real lists of issue 10, imported with the test place tree (duplicate finding aside):
the DSA chapter list becomes its chapters, the Mutual Aid Hub sheet keeps what it says.
Skipped where ../shared/data is not beside the checkout. bench/import/real_lists.py runs the
same files with the world's places and duplicate finding, and measures memory."""

from pathlib import Path

import pytest

from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.services import import_file

# ../shared beside the checkout, however deep the checkout sits.
DATA = next(
    (
        folder / "shared" / "data" / "groups"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "data" / "groups").is_dir()
    ),
    Path("shared/data/groups"),
)
DSA = DATA / "dsa-chapter-zips_2023-09.csv"
HUB = DATA / "mutual-aid-hub_2020-04-02_raw.csv"


@pytest.fixture
def geocoder(places):  # type: ignore[no-untyped-def]
    reset_geocoder()
    yield
    reset_geocoder()


@pytest.mark.skipif(not DSA.exists(), reason="the shared DSA list is not here")
def test_the_dsa_list_becomes_its_chapters(geocoder) -> None:
    _run, preview = import_file(user=None, path=DSA, source_name="DSA", dry_run=True)
    assert preview.rows == 24371 and preview.looks_misused
    assert 200 <= preview.organizations_created <= 215
    _run, outcome = import_file(user=None, path=DSA, source_name="DSA")
    assert 200 <= outcome.organizations_created <= 215
    assert Organization.objects.filter(name="New York City").count() == 1


@pytest.mark.skipif(not HUB.exists(), reason="the shared Mutual Aid Hub list is not here")
def test_the_mutual_aid_hub_sheet_keeps_languages_links_and_places(geocoder) -> None:
    import_file(user=None, path=HUB, source_name="Mutual Aid Hub")
    laramie = Organization.objects.get(name="Laramie Mutual Aid")
    assert laramie.languages == ["es", "fr", "ase", "hi", "sv", "zh", "de", "te"]
    assert [link["label"] for link in laramie.links] == ["Support Request", "Support Offer"]
    assert not Organization.objects.filter(name__regex=r"^[^/:]{2,60} / [^:]{2,120}: ").exists()
    assert Organization.objects.exclude(languages=[]).count() > 500
