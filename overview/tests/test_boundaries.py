"""Which boundary file shades a place's sub-places, and the bridges drawing's geometry."""

import pytest

from overview.boundaries import boundary_url
from overview.drawing import BOX_HEIGHT, bridges_drawing
from places.models import Place

pytestmark = pytest.mark.django_db


def test_it_picks_countries_states_and_us_counties(places: dict[str, Place]) -> None:
    assert boundary_url(places["world"], []).endswith("/overview/boundaries/countries.json")
    assert boundary_url(places["us"], []).endswith("/overview/boundaries/states/US.json")
    oregon = boundary_url(places["oregon"], ["fips:41051"])
    assert oregon.endswith("/overview/boundaries/us-counties/41.json")


def test_it_falls_back_to_points_where_it_has_no_outline(places: dict[str, Place]) -> None:
    assert boundary_url(places["oregon"], []) == ""  # counties without a FIPS code
    assert boundary_url(places["multnomah"], []) == ""  # towns
    assert boundary_url(places["bc"], []) == ""  # Canadian districts
    assert boundary_url(places["cascadia"], []) == ""  # a region of mixed levels


def test_the_drawing_puts_coalitions_above_the_groups_that_link_them() -> None:
    names = {1: "Alpha", 2: "Beta", 10: "The Linker"}
    drawing = bridges_drawing({10: [1, 2]}, names, {1: "/a/", 2: "/b/", 10: "/l/"})
    by_key = {n.key: n for n in drawing.nodes}
    assert by_key[1].y < by_key[10].y and not by_key[1].is_group and by_key[10].is_group
    assert len(drawing.edges) == 2
    assert all(e.y1 == by_key[1].y + BOX_HEIGHT and e.y2 == by_key[10].y for e in drawing.edges)
    assert drawing.hidden == 0


def test_the_drawing_says_how_many_it_left_out() -> None:
    links = {100 + g: [g, g + 1] for g in range(12)}
    names = {k: f"n{k}" for k in list(links) + list(range(13))}
    drawing = bridges_drawing(links, names, {})
    assert drawing.hidden > 0
    assert len([n for n in drawing.nodes if n.is_group]) == 8
