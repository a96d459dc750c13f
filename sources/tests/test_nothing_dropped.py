"""What a Mutual Aid Hub row says reaches the listing: languages, every link, the place in its
name (issue 10, "Nothing useful dropped")."""

from pathlib import Path

import pytest

from directory.languages import language_codes, language_name
from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.services import import_file

HUB = (
    "Resource,Neighborhood/region,City,State/Territory,Zip Code,Country,Language(s),General,"
    "Support Request,Support Offer,Social Media,Hotline #\n"
    '"Laramie Mutual Aid",,Laramie,WY,,USA,"Spanish, French, American Sign Language, Hindi, '
    'Swedish, Chinese, German, Telugu",https://docs.example.org/laramie,'
    "https://forms.example.org/laramie-request,https://forms.example.org/laramie-offer,,\n"
    '"Canada / Vancouver: Mutual Aid for Metro Vancouver",,,,,,English/Spanish,'
    "https://vancouver.example.org,,,,\n"
    '"California / Oakland: East Bay Mutual Aid",,,,,,English,,,,,\n'
    '"coronavirus community care: amwa",,Seattle,WA,,USA,,,,,,\n'
)


@pytest.fixture
def geocoder(places):  # type: ignore[no-untyped-def]
    reset_geocoder()
    yield
    reset_geocoder()


@pytest.fixture
def imported(tmp_path: Path, geocoder) -> None:
    path = tmp_path / "hub.csv"
    path.write_text(HUB, encoding="utf-8")
    import_file(user=None, path=path, source_name="Mutual Aid Hub")


def test_it_keeps_every_language_as_an_iso_639_code(imported) -> None:
    laramie = Organization.objects.get(name="Laramie Mutual Aid")
    assert laramie.languages == ["es", "fr", "ase", "hi", "sv", "zh", "de", "te"]
    vancouver = Organization.objects.get(name="Mutual Aid for Metro Vancouver")
    assert vancouver.languages == ["en", "es"]


def test_it_keeps_support_request_and_offer_links_with_their_meaning(imported) -> None:
    laramie = Organization.objects.get(name="Laramie Mutual Aid")
    assert laramie.website == "https://docs.example.org/laramie"
    assert laramie.links == [
        {"label": "Support Request", "url": "https://forms.example.org/laramie-request"},
        {"label": "Support Offer", "url": "https://forms.example.org/laramie-offer"},
    ]


def test_it_moves_a_place_prefix_from_the_name_into_the_place(imported, places) -> None:
    vancouver = Organization.objects.get(name="Mutual Aid for Metro Vancouver")
    assert vancouver.home_place == places["vancouver"]
    east_bay = Organization.objects.get(name="East Bay Mutual Aid")
    assert east_bay.home_place == places["oakland"]
    # A colon without a place before a slash is part of the name.
    assert Organization.objects.filter(name="coronavirus community care: amwa").exists()


def test_it_reads_languages_as_people_write_them() -> None:
    assert language_codes("English/Spanish") == (["en", "es"], [])
    assert language_codes("Spanish, English, Portuguese ") == (["es", "en", "pt"], [])
    assert language_codes("ASL, Mandarin, Farsi, Bangla") == (["ase", "cmn", "fa", "bn"], [])
    assert language_codes(["en", "spa"]) == (["en", "es"], [])
    assert language_codes("Eglish") == ([], ["Eglish"])
    assert language_name("ase") == "American Sign Language"
