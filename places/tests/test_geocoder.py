"""The geocoder: names, qualifiers, uncertainty, ZIP codes and coordinates."""

from collections.abc import Iterator
from typing import Any

import pytest

from places.geocoder import Geocoder, get_geocoder, normalize, reset_geocoder
from places.models import Place
from places.services import region_create

# (id, name, kind, iso_code, slug, parent_id, lat, lng, population, alternate_names)
ROWS: list[tuple[Any, ...]] = [
    (1, "World", "world", "", "world", None, None, None, None, ""),
    (2, "United States", "country", "US", "united-states", 1, 39.8, -98.6, 331_000_000, "USA"),
    (3, "Canada", "country", "CA", "canada", 1, 56.1, -106.3, 38_000_000, ""),
    (4, "Austria", "country", "AT", "austria", 1, 47.6, 14.1, 8_900_000, "Österreich"),
    (10, "California", "state", "US-CA", "us-california", 2, 36.8, -119.4, None, ""),
    (11, "Oregon", "state", "US-OR", "us-oregon", 2, 44.0, -120.5, None, ""),
    (12, "Maine", "state", "US-ME", "us-maine", 2, 45.3, -69.2, None, ""),
    (13, "New Jersey", "state", "US-NJ", "us-new-jersey", 2, 40.1, -74.5, None, ""),
    (14, "British Columbia", "state", "CA-BC", "ca-british-columbia", 3, 53.7, -127.6, None, ""),
    (15, "Ohio", "state", "US-OH", "us-ohio", 2, 40.4, -82.9, None, ""),
    (20, "Alameda County", "county", "", "us-ca-alameda-county", 10, 37.6, -121.9, None, ""),
    (21, "Multnomah County", "county", "", "us-or-multnomah", 11, 45.5, -122.4, None, ""),
    (30, "Oakland", "locality", "", "us-california-oakland", 20, 37.804, -122.271, 433_031, ""),
    (31, "Oakland", "locality", "", "us-new-jersey-oakland", 13, 41.013, -74.264, 12_754, ""),
    (32, "Oakland", "locality", "", "us-maine-oakland", 12, 44.540, -69.722, 6_240, ""),
    (33, "Portland", "locality", "", "us-oregon-portland", 21, 45.515, -122.678, 652_503, ""),
    (34, "Portland", "locality", "", "us-maine-portland", 12, 43.661, -70.255, 66_881, ""),
    (35, "Berkeley", "locality", "", "us-california-berkeley", 20, 37.872, -122.273, 124_321, ""),
    (36, "Vancouver", "locality", "", "ca-bc-vancouver", 14, 49.283, -123.121, 662_248, ""),
    (37, "Oregon", "locality", "", "us-ohio-oregon", 15, 41.644, -83.487, 20_000, ""),
    (38, "Vienna", "locality", "", "at-vienna", 4, 48.208, 16.372, 1_900_000, "Wien"),
    (50, "Cascadia", "bioregion", "", "cascadia", 1, 46.0, -122.0, None, "Pacific Northwest"),
]
MEMBERS = [(50, 11), (50, 14)]  # Cascadia: Oregon and British Columbia


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    zips = [
        {"zip_code": "94612", "city": "Oakland", "state": "CA", "county": "Alameda County",
         "lat": "37.8085", "long": "-122.2668"},
        {"zip_code": "04101", "city": "Portland", "state": "ME", "county": "Cumberland County",
         "lat": "43.66", "long": "-70.26"},
        {"zip_code": "97999", "city": "Nowhere Town", "state": "OR", "county": "",
         "lat": "44.0", "long": "-120.0"},
    ]  # fmt: skip
    return Geocoder(ROWS, MEMBERS, zips)


def test_it_normalizes_accents_case_punctuation_and_abbreviations() -> None:
    assert normalize("  Österreich ") == "osterreich"
    assert normalize("St. Helens") == normalize("Saint Helens") == "saint helens"
    assert normalize("U.S.A.") == "usa"
    assert normalize("Ripon,North  Yorkshire") == "ripon north yorkshire"
    assert normalize("Łódź") == "lodz"


class TestNames:
    def test_it_picks_oakland_california_for_a_state_code_or_name(self, geocoder: Geocoder) -> None:
        for text in ("Oakland, CA", "Oakland, California", "oakland ca", "Oakland, CA, USA"):
            result = geocoder.geocode(text)
            assert result is not None, text
            assert result.place.slug == "us-california-oakland", text
            assert result.uncertain is False
            assert result.confidence > 0.9

    def test_it_picks_the_biggest_oakland_but_says_it_is_unsure(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Oakland")
        assert result is not None
        assert result.place.slug == "us-california-oakland"
        assert result.uncertain is True
        assert 0.5 < result.confidence < 0.95
        assert {a.place.slug for a in result.alternatives} == {
            "us-new-jersey-oakland",
            "us-maine-oakland",
        }

    def test_it_tells_portland_oregon_from_portland_maine(self, geocoder: Geocoder) -> None:
        oregon = geocoder.geocode("Portland, OR")
        maine = geocoder.geocode("Portland, ME")
        assert oregon is not None and oregon.place.slug == "us-oregon-portland"
        assert maine is not None and maine.place.slug == "us-maine-portland"

    def test_it_gives_ancestors_root_first_and_the_regions_around(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Portland, Oregon")
        assert result is not None
        assert [a.name for a in result.ancestors] == [
            "World",
            "United States",
            "Oregon",
            "Multnomah County",
        ]
        assert [o.name for o in result.overlays] == ["Cascadia"]
        assert result.label == "Portland, Oregon, United States"
        assert (result.latitude, result.longitude) == (45.515, -122.678)

    def test_it_prefers_a_state_over_a_small_town_of_the_same_name(
        self, geocoder: Geocoder
    ) -> None:
        result = geocoder.geocode("Oregon")
        assert result is not None
        assert result.place.kind == "state"
        assert [a.place.slug for a in result.alternatives] == ["us-ohio-oregon"]

    def test_it_knows_countries_by_other_names_and_codes(self, geocoder: Geocoder) -> None:
        for text, slug in [("Österreich", "austria"), ("USA", "united-states"), ("AT", "austria")]:
            result = geocoder.geocode(text)
            assert result is not None and result.place.slug == slug, text

    def test_it_reads_a_province_code_with_its_country(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("BC, Canada")
        assert result is not None
        assert result.place.slug == "ca-british-columbia"
        assert [o.name for o in result.overlays] == ["Cascadia"]

    def test_it_finds_a_city_by_another_name(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Wien")
        assert result is not None and result.place.name == "Vienna"

    def test_it_finds_regions_by_name(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Pacific Northwest")
        assert result is not None and result.place.kind == "bioregion"

    def test_it_accepts_a_region_as_qualifier(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Vancouver, Cascadia")
        assert result is not None and result.place.slug == "ca-bc-vancouver"

    def test_it_returns_none_when_nothing_matches(self, geocoder: Geocoder) -> None:
        assert geocoder.geocode("Xyzzy") is None
        assert geocoder.geocode("   ") is None
        assert geocoder.geocode(",,,") is None

    def test_it_falls_back_to_the_known_area_and_says_so(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Nowhereville, Oregon")
        assert result is not None
        assert result.place.name == "Oregon"
        assert result.uncertain is True and result.confidence <= 0.3

    def test_it_is_less_sure_when_a_qualifier_is_unknown(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Berkeley, Narnia")
        assert result is not None and result.place.name == "Berkeley"
        assert result.uncertain is True

    def test_it_serializes_to_json_ready_dicts(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("Oakland")
        assert result is not None
        data = result.to_dict()
        assert data["found"] is True
        assert data["place"] == {
            "id": 30,
            "name": "Oakland",
            "kind": "locality",
            "iso_code": "",
            "slug": "us-california-oakland",
        }
        assert data["ancestors"][0]["name"] == "World"
        assert data["uncertain"] is True
        assert data["alternatives"][0]["label"] == "Oakland, New Jersey, United States"


class TestZipCodes:
    def test_it_finds_the_locality_of_a_zip_code_at_the_zip_centre(
        self, geocoder: Geocoder
    ) -> None:
        for text in ("94612", "94612-1234", "Oakland, CA 94612"):
            result = geocoder.geocode(text)
            assert result is not None, text
            assert result.place.slug == "us-california-oakland"
            assert result.match == "postcode"
            assert (result.latitude, result.longitude) == (37.8085, -122.2668)

    def test_it_falls_back_to_the_state_when_the_town_is_unknown(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("97999")
        assert result is not None and result.place.name == "Oregon"
        assert result.uncertain is True

    def test_it_ignores_an_unknown_zip_code_after_a_name(self, geocoder: Geocoder) -> None:
        assert geocoder.geocode("00000") is None
        result = geocoder.geocode("Berkeley, CA 00000")
        assert result is not None and result.place.name == "Berkeley"


class TestReverse:
    def test_it_finds_the_nearest_locality_with_ancestors_and_regions(
        self, geocoder: Geocoder
    ) -> None:
        result = geocoder.reverse(45.52, -122.68)
        assert result is not None
        assert result.place.slug == "us-oregon-portland"
        assert [a.name for a in result.ancestors][-2:] == ["Oregon", "Multnomah County"]
        assert [o.name for o in result.overlays] == ["Cascadia"]
        assert result.distance_km is not None and result.distance_km < 1
        assert result.uncertain is False

    def test_it_is_unsure_far_from_any_locality_and_gives_up_at_sea(
        self, geocoder: Geocoder
    ) -> None:
        inland = geocoder.reverse(44.5, -121.0)  # central Oregon, ~150 km from Portland
        assert inland is not None and inland.uncertain is True
        assert geocoder.reverse(0.0, -140.0) is None

    def test_it_reads_coordinates_typed_as_text(self, geocoder: Geocoder) -> None:
        result = geocoder.geocode("37.87, -122.27")
        assert result is not None and result.place.name == "Berkeley"

    def test_it_refuses_impossible_coordinates(self, geocoder: Geocoder) -> None:
        with pytest.raises(ValueError, match="latitude"):
            geocoder.reverse(91.0, 0.0)


class TestSuggest:
    def test_it_suggests_places_by_prefix_biggest_first(self, geocoder: Geocoder) -> None:
        assert geocoder.suggest("oak", limit=2) == [30, 31]
        assert geocoder.suggest("", limit=5) == []


@pytest.mark.django_db
class TestSharedGeocoder:
    @pytest.fixture(autouse=True)
    def _fresh(self) -> Iterator[None]:
        reset_geocoder()
        yield
        reset_geocoder()

    def test_it_builds_from_the_place_table(self, places: dict[str, Place]) -> None:
        result = get_geocoder().geocode("Eureka, California")
        assert result is not None and result.place.id == places["eureka"].pk
        assert [o.name for o in result.overlays] == ["Cascadia"]
        assert get_geocoder() is get_geocoder()

    def test_it_uses_the_zip_codes_of_the_installed_package(self, places: dict[str, Place]) -> None:
        result = get_geocoder().geocode("94612")
        assert result is not None and result.place.id == places["oakland"].pk

    def test_it_rebuilds_when_places_change(
        self, places: dict[str, Place], site_coordinator: Any
    ) -> None:
        before = get_geocoder()
        assert before.geocode("Salish Sea") is None
        region_create(
            user=site_coordinator,
            name="Salish Sea",
            kind="bioregion",
            members=[places["washington"], places["bc"]],
        )
        after = get_geocoder()
        assert after is not before
        result = after.geocode("Seattle")
        assert result is not None
        assert {o.name for o in result.overlays} == {"Cascadia", "Salish Sea"}
