"""`commonweal geocode` and `commonweal places` on the small shared place tree."""

import io
import json
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from places.geocoder import reset_geocoder
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_geocoder() -> Iterator[None]:
    reset_geocoder()
    yield
    reset_geocoder()


def _run(
    *args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None
) -> str:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class TestGeocodeCommand:
    def test_it_prints_place_ancestors_regions_coordinates_and_confidence(
        self, places: dict[str, Place]
    ) -> None:
        answer = json.loads(_run("geocode", "Eureka, CA"))
        assert answer["found"] is True
        assert answer["place"]["id"] == places["eureka"].pk
        assert [a["name"] for a in answer["ancestors"]] == [
            "World",
            "United States",
            "California",
            "Humboldt County",
        ]
        assert [o["name"] for o in answer["overlays"]] == ["Cascadia"]
        assert (answer["latitude"], answer["longitude"]) == (40.8021, -124.1637)
        assert 0 < answer["confidence"] <= 1 and answer["uncertain"] is False

    def test_it_writes_one_json_line_per_line_of_input(
        self, places: dict[str, Place], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        out = _run(
            "geocode", stdin="Seattle\n\n  \nAtlantis\nBC, Canada\n", monkeypatch=monkeypatch
        )
        lines = [json.loads(line) for line in out.splitlines()]
        assert [line["query"] for line in lines] == ["Seattle", "Atlantis", "BC, Canada"]
        assert [line["found"] for line in lines] == [True, False, True]
        assert lines[1]["error"] == "No place matches this text."
        assert lines[2]["place"]["name"] == "British Columbia"

    def test_it_reverse_geocodes_coordinates(self, places: dict[str, Place]) -> None:
        answer = json.loads(_run("geocode", "--reverse", "45.52,-122.68"))
        assert answer["place"]["name"] == "Portland"
        assert answer["match"] == "nearest" and answer["distance_km"] < 1
        assert [o["name"] for o in answer["overlays"]] == ["Cascadia"]

    def test_it_exits_non_zero_when_nothing_matches(self, places: dict[str, Place]) -> None:
        out = io.StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command("geocode", "Atlantis", stdout=out)
        assert exit_.value.code == 1
        assert json.loads(out.getvalue()) == {
            "query": "Atlantis",
            "found": False,
            "error": "No place matches this text.",
        }

    @pytest.mark.parametrize("bad", ["north", "45.5", "95,10", "45,200"])
    def test_it_names_the_option_when_coordinates_are_bad(
        self, places: dict[str, Place], bad: str
    ) -> None:
        with pytest.raises(CommandError, match="--reverse"):
            call_command("geocode", "--reverse", bad, stdout=io.StringIO())


class TestPlacesCommand:
    def test_it_refuses_country_codes_that_are_not_codes(self) -> None:
        with pytest.raises(CommandError, match="--countries"):
            call_command("places", "load", "--countries", "US,Germany", stdout=io.StringIO())

    def test_it_counts_places_by_kind(self, places: dict[str, Place]) -> None:
        out = _run("places", "stats")
        assert "locality" in out and "bioregion" in out
