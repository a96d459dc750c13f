"""Loading real places from the installed data packages (a few countries, loaded once for the
module), the shipped regions, and the geocoder and CLI on top of them."""

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from places.geocoder import get_geocoder, reset_geocoder
from places.loader import LoadReport, world_load
from places.models import Place, PlacesState
from places.selectors import place_ancestors, place_overlays_containing

pytestmark = pytest.mark.django_db

# Greece for its own script, Jamaica for its Portland (a parish people must not land in),
# Antarctica for a country with no town in the gazetteer.
COUNTRIES = ["US", "GB", "CA", "AT", "GE", "GR", "JM", "AQ"]
CASCADIA_CALIFORNIA = {
    "Del Norte County",
    "Humboldt County",
    "Trinity County",
    "Siskiyou County",
    "Modoc County",
    "Shasta County",
    "Lassen County",
    "Tehama County",
    "Plumas County",
}


def _wipe() -> None:
    members = connection.ops.quote_name(Place.members.through._meta.db_table)
    table = connection.ops.quote_name(Place._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {members}")
        cursor.execute(f"DELETE FROM {table}")
    reset_geocoder()


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[LoadReport, LoadReport]]:
    """A few countries loaded once, then GB loaded again to see that nothing doubles."""
    with django_db_blocker.unblock():
        _wipe()
        first = world_load(countries=COUNTRIES)
        version = PlacesState.objects.get().version
        again = world_load(countries=["GB"])
        # Nothing changed, so caches such as the geocoder need not rebuild.
        assert PlacesState.objects.get().version == version
        yield first, again
        _wipe()


def _get(**lookup: Any) -> Place:
    return Place.objects.get(**lookup)


def _point(place: Place) -> tuple[float, float]:
    assert place.latitude is not None and place.longitude is not None
    return place.latitude, place.longitude


class TestTree:
    def test_it_loads_countries_states_counties_and_cities(self, world: Any) -> None:
        first, _ = world
        assert first.total["world"] == 1 and first.total["country"] == len(COUNTRIES)
        assert first.total["locality"] > 15_000
        us_states = Place.objects.filter(kind="state", parent__iso_code="US")
        assert us_states.count() == 51  # 50 states and the District of Columbia
        assert set(us_states.values_list("iso_code", flat=True)) >= {"US-CA", "US-OR", "US-DC"}
        canada = Place.objects.filter(kind="state", parent__iso_code="CA")
        assert canada.count() == 13 and not canada.filter(iso_code="").exists()
        nations = Place.objects.filter(kind="state", parent__iso_code="GB")
        assert set(nations.values_list("name", flat=True)) == {
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
        }
        assert (_get(iso_code="AT").population or 0) > 8_000_000
        # A state named like a country is still a state (and the country still a country).
        assert _get(iso_code="US-GA").name == "Georgia"
        assert _get(iso_code="GE", kind="country").name == "Georgia"

    def test_it_files_cities_under_their_county_and_state(self, world: Any) -> None:
        oakland = _get(slug="us-california-oakland")
        assert [p.name for p in place_ancestors(oakland)] == [
            "World",
            "United States",
            "California",
            "Alameda County",
        ]
        assert oakland.parent is not None and oakland.parent.source_ref == "fips:06001"
        assert oakland.population and oakland.population > 400_000
        ripon = Place.objects.get(name="Ripon", parent__name="North Yorkshire")
        assert [p.name for p in place_ancestors(ripon)][-2:] == ["England", "North Yorkshire"]
        assert ripon.parent is not None and ripon.parent.iso_code == "GB-NYK"

    def test_it_gives_every_us_county_a_fips_code_and_a_centre(self, world: Any) -> None:
        counties = Place.objects.filter(kind="county", source_ref__startswith="fips:")
        assert counties.count() > 3_100
        assert not counties.filter(latitude__isnull=True).exists()
        lat, lng = _point(_get(source_ref="fips:06001"))
        assert 37.4 < lat < 38.0 and -122.4 < lng < -121.5
        assert _get(source_ref="fips:06001").parent == _get(iso_code="US-CA")

    def test_it_places_areas_at_the_centre_of_their_people(self, world: Any) -> None:
        lat, lng = _point(_get(iso_code="US-CA"))
        assert 33 < lat < 39 and -122 < lng < -116
        lat, lng = _point(_get(iso_code="US"))
        assert 34 < lat < 42 and -100 < lng < -80

    def test_it_numbers_the_tree_so_children_nest_in_parents(self, world: Any) -> None:
        table = connection.ops.quote_name(Place._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} c JOIN {table} p ON c.parent_id = p.id "
                f"WHERE c.kind NOT IN ('bioregion', 'macroregion') "
                f"AND NOT (p.lft < c.lft AND c.rgt < p.rgt AND c.depth = p.depth + 1)"
            )
            assert cursor.fetchone()[0] == 0

    def test_it_updates_instead_of_duplicating_when_loaded_again(self, world: Any) -> None:
        _, again = world
        assert sum(again.created.values()) == 0
        assert sum(again.updated.values()) == 0 and again.renumbered == 0
        assert Place.objects.filter(name="Ripon", parent__name="North Yorkshire").count() == 1
        assert Place.objects.filter(kind="bioregion", name="Cascadia").count() == 1


class TestShippedRegions:
    def test_it_ships_cascadia_across_two_countries(self, world: Any) -> None:
        cascadia = _get(kind="bioregion", name="Cascadia")
        members = {m.name for m in cascadia.members.all()}
        assert {"Washington", "Oregon", "Idaho", "British Columbia"} <= members
        assert members - {"Washington", "Oregon", "Idaho", "British Columbia"} == (
            CASCADIA_CALIFORNIA
        )
        eureka = Place.objects.get(name="Eureka", parent__name="Humboldt County")
        assert cascadia in place_overlays_containing(eureka)
        assert cascadia not in place_overlays_containing(_get(slug="us-california-oakland"))
        assert cascadia not in place_overlays_containing(_get(iso_code="US-CA"))

    def test_it_ships_the_census_regions_and_divisions_as_unions_of_states(
        self, world: Any
    ) -> None:
        regions = Place.objects.filter(kind="macroregion", source_ref__startswith="region:")
        assert regions.count() == 13
        big_four = [r for r in regions if r.name in {"Northeast (US)", "Midwest (US)",
                                                     "South (US)", "West (US)"}]  # fmt: skip
        assert len(big_four) == 4
        states = list(Place.objects.filter(kind="state", parent__iso_code="US"))
        for state in states:
            holding = [r for r in big_four if state in r.members.all()]
            assert len(holding) == 1, state.name
        assert sum(r.members.count() for r in big_four) == 51
        assert sum(r.members.count() for r in regions) == 102  # each state: region + division


@pytest.mark.usefixtures("world")
class TestGeocodingRealPlaces:
    @pytest.mark.parametrize(
        ("text", "slug"),
        [
            ("Oakland, CA", "us-california-oakland"),
            ("Oakland, California", "us-california-oakland"),
            ("Portland, OR", "us-oregon-portland"),
            ("Portland, ME", "us-maine-portland"),
            ("94612", "us-california-oakland"),
            ("94612-1234", "us-california-oakland"),
            ("Oregon", "us-oregon"),
            ("BC, Canada", "ca-british-columbia"),
        ],
    )
    def test_it_finds_the_place_people_mean(self, text: str, slug: str) -> None:
        result = get_geocoder().geocode(text)
        assert result is not None, text
        assert result.place.slug == slug

    def test_it_finds_ripon_in_north_yorkshire(self) -> None:
        result = get_geocoder().geocode("Ripon, North Yorkshire")
        assert result is not None
        assert result.place.name == "Ripon" and result.uncertain is False
        assert "North Yorkshire" in [a.name for a in result.ancestors]

    def test_it_knows_countries_by_their_names_in_other_languages(self) -> None:
        for text, code in [("UK", "GB"), ("Österreich", "AT"), ("United Kingdom", "GB")]:
            result = get_geocoder().geocode(text)
            assert result is not None and result.place.iso_code == code, text

    def test_it_is_unsure_of_plain_oakland_but_answers_the_biggest(self) -> None:
        result = get_geocoder().geocode("Oakland")
        assert result is not None
        assert result.place.slug == "us-california-oakland"
        assert result.uncertain is True and len(result.alternatives) >= 2

    def test_it_turns_coordinates_into_the_locality_and_its_regions(self) -> None:
        result = get_geocoder().reverse(40.80, -124.16)
        assert result is not None and result.place.name == "Eureka"
        assert [a.name for a in result.ancestors][1:4] == [
            "United States",
            "California",
            "Humboldt County",
        ]
        assert {o.name for o in result.overlays} >= {"Cascadia", "West (US)", "Pacific (US)"}

    def test_the_command_prints_json_for_one_query_and_for_each_line_of_input(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        out = io.StringIO()
        call_command("geocode", "Portland, ME", stdout=out)
        answer = json.loads(out.getvalue())
        assert answer["place"]["slug"] == "us-maine-portland"
        assert answer["latitude"] and answer["confidence"] > 0.9
        monkeypatch.setattr("sys.stdin", io.StringIO("Oakland, CA\n94612\n\nnowhere at all\n"))
        out = io.StringIO()
        call_command("geocode", stdout=out)
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [line["found"] for line in lines] == [True, True, False]
        assert lines[1]["place"]["name"] == "Oakland"


class TestEveryPlaceHasAPoint:
    def test_it_gives_every_place_below_the_world_coordinates(self, world: Any) -> None:
        missing = Place.objects.exclude(kind="world").filter(latitude__isnull=True)
        assert list(missing.values_list("name", flat=True)[:5]) == []
        cascadia = get_geocoder().geocode("Cascadia")
        assert cascadia is not None and cascadia.latitude is not None

    def test_it_places_london_boroughs_that_have_no_town_of_their_own(self, world: Any) -> None:
        for code, (lat, lng) in {"GB-CMD": (51.54, -0.16), "GB-WFT": (51.59, -0.02)}.items():
            got = _point(_get(iso_code=code))
            assert abs(got[0] - lat) < 0.05 and abs(got[1] - lng) < 0.05, code
        result = get_geocoder().geocode("Lambeth, London")
        assert result is not None and result.latitude is not None

    def test_it_loads_villages_of_fewer_than_a_thousand_people(self, world: Any) -> None:
        villages = Place.objects.filter(kind="locality", population__lt=1000)
        assert villages.filter(slug__startswith="gb-").count() > 500
        result = get_geocoder().geocode("Uley, Gloucestershire")
        assert result is not None and result.place.name == "Uley"
        assert result.uncertain is False

    def test_it_loads_us_villages_that_only_have_a_post_office(self, world: Any) -> None:
        # Below GeoNames' 500-people line: Peacham, Vermont and Tomales, California.
        for text, state in [("Peacham, VT", "US-VT"), ("Tomales, CA", "US-CA")]:
            result = get_geocoder().geocode(text)
            assert result is not None, text
            assert result.place.kind == "locality" and result.uncertain is False, text
            assert state in {a.iso_code for a in result.ancestors}, text
            # No head count, so a bare name still prefers a known town of that name.
            assert Place.objects.get(slug=result.place.slug).population is None, text


@pytest.mark.usefixtures("world")
class TestContextDecides:
    """Every term of a text constrains the others, whichever order they come in."""

    @pytest.mark.parametrize(
        ("text", "name", "kind"),
        [
            ("Brixton, Lambeth", "Brixton", "locality"),
            ("Walthamstow, Waltham Forest", "Walthamstow", "locality"),
            ("Waltham Forest, Walthamstow", "Walthamstow", "locality"),
            ("Barry, Vale of Glamorgan", "Barry", "locality"),
            ("London, Camden", "Camden", "county"),
            ("Camden, London", "Camden", "county"),
            ("Seattle, Washington", "Seattle", "locality"),
            ("Seattle, WA", "Seattle", "locality"),
            ("Αθήνα, GR", "Athens", "locality"),
        ],
    )
    def test_it_reads_each_term_in_the_light_of_the_others(
        self, text: str, name: str, kind: str
    ) -> None:
        result = get_geocoder().geocode(text)
        assert result is not None, text
        assert (result.place.name, result.place.kind) == (name, kind), text
        assert result.uncertain is False, text
        country = [a.name for a in result.ancestors][1]
        assert country in {"United Kingdom", "United States", "Greece"}, text
        if "Camden" in text:
            assert country == "United Kingdom"

    def test_it_reads_a_subdivision_whose_name_holds_commas(self) -> None:
        for text in ("Mid Glamorgan, Rhondda Cynon Taf", "Ferndale, Rhondda, Cynon, Taff"):
            result = get_geocoder().geocode(text)
            assert result is not None, text
            assert "GB-RCT" in {result.place.iso_code, *(a.iso_code for a in result.ancestors)}

    def test_it_lands_an_unknown_village_in_its_area_and_says_it_is_unsure(self) -> None:
        for text, code in [("Plockton, Highland", "GB-HLD"), ("Little Bardfield, Essex", "GB-ESS")]:
            result = get_geocoder().geocode(text)
            assert result is not None, text
            if result.place.kind == "locality":  # the village made it into the data
                assert code in {a.iso_code for a in result.ancestors}, text
            else:
                assert result.place.iso_code == code and result.uncertain is True, text
            assert result.latitude is not None

    def test_it_prefers_the_big_portland_and_never_the_parish_in_jamaica(self) -> None:
        result = get_geocoder().geocode("Portland")
        assert result is not None
        assert result.place.slug == "us-oregon-portland"
        assert result.uncertain is True
        assert "Portland, Maine, United States" in [a.label for a in result.alternatives]
        jamaica = get_geocoder().geocode("Portland, Jamaica")
        assert jamaica is not None and jamaica.place.iso_code == "JM-04"

    def test_it_says_which_town_a_near_miss_spelling_may_be(self) -> None:
        result = get_geocoder().geocode("Berkley, CA")
        assert result is not None
        assert result.label == "Berkeley, California, United States"
        assert result.uncertain is True and result.match == "spelling"


@pytest.mark.usefixtures("world")
class TestSuggestionsReadBack:
    def test_every_suggested_label_reads_back_as_its_place_without_asking(self) -> None:
        from places.resolver import place_resolve

        shown = 0
        for prefix in ("Portl", "Brixton", "Camd", "Lond", "Seat", "Spring", "Wash", "Ath", "Vale"):
            for pk, label in get_geocoder().suggest_labels(prefix, 8):
                place = place_resolve(user=None, text=label)
                assert place is not None and place.pk == pk, label
                shown += 1
        assert shown > 40
        labels = [label for _, label in get_geocoder().suggest_labels("Portland", 3)]
        assert labels[0] == "Portland, Oregon, United States"


@pytest.mark.usefixtures("world")
class TestShortenedNames:
    def test_it_reads_st_as_the_local_word_for_saint(self) -> None:
        result = get_geocoder().geocode("St. Pölten, Österreich")
        assert result is not None and result.place.name == "Sankt Pölten"
        assert result.uncertain is False

    def test_it_offers_the_full_name_of_a_shortened_one_unsure(self) -> None:
        result = get_geocoder().geocode("Braunau, Österreich")
        assert result is not None and result.place.name == "Braunau am Inn"
        assert result.uncertain is True
