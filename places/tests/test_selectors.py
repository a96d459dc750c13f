"""Reads of places: children, ancestors, regions around a place, suggestions."""

from typing import Any

import pytest
from django.http import Http404

from places.models import Place
from places.selectors import (
    get_place_for_user,
    place_ancestors,
    place_children_for_user,
    place_overlays_containing,
    places_search,
)

pytestmark = pytest.mark.django_db


def test_it_finds_a_place_by_slug_or_id_and_404s_otherwise(
    places: dict[str, Place], outsider: Any
) -> None:
    oakland = places["oakland"]
    assert get_place_for_user(outsider, oakland.slug) == oakland
    assert get_place_for_user(None, oakland.pk) == oakland
    assert get_place_for_user(None, str(oakland.pk)) == oakland
    for missing in ("no-such-place", "", "999999"):
        with pytest.raises(Http404):
            get_place_for_user(None, missing)


def test_it_lists_children_without_regions(places: dict[str, Place]) -> None:
    assert list(place_children_for_user(None, None)) == [places["world"]]
    assert list(place_children_for_user(None, places["world"])) == [
        places["ca_country"],
        places["us"],
    ]
    assert list(place_children_for_user(None, places["alameda"])) == [
        places["berkeley"],
        places["oakland"],
    ]


def test_it_lists_a_regions_members_as_its_children(places: dict[str, Place]) -> None:
    children = list(place_children_for_user(None, places["cascadia"]))
    assert set(children) == {
        places["humboldt"],
        places["oregon"],
        places["washington"],
        places["bc"],
    }


def test_it_gives_ancestors_root_first(places: dict[str, Place]) -> None:
    assert place_ancestors(places["oakland"]) == [
        places["world"],
        places["us"],
        places["california"],
        places["alameda"],
    ]
    assert place_ancestors(places["world"]) == []
    assert place_ancestors(places["cascadia"]) == [places["world"]]


def test_it_finds_the_regions_that_contain_a_place(places: dict[str, Place]) -> None:
    assert list(place_overlays_containing(places["eureka"])) == [places["cascadia"]]
    assert list(place_overlays_containing(places["portland"])) == [places["cascadia"]]
    assert list(place_overlays_containing(places["oakland"])) == []
    # California as a whole is not inside Cascadia, only its northern counties.
    assert list(place_overlays_containing(places["california"])) == []


def test_it_suggests_places_by_prefix(places: dict[str, Place]) -> None:
    assert [p.name for p in places_search("Oak", limit=5)] == ["Oakland"]
    assert [p.name for p in places_search("ore")][:1] == ["Oregon"]
    # Exact names first, then broad places, then localities by population.
    assert [p.name for p in places_search("cal")][:1] == ["California"]
    assert [p.name for p in places_search("Casc")] == ["Cascadia"]
    assert places_search("", limit=5) == []
    assert places_search("zzz", limit=5) == []
