"""Groups found where they serve, not only where they are based (issue 10: service areas)."""

import pytest
from django.urls import reverse

from directory import selectors, services, serving


@pytest.fixture
def chapters(places, organizer):
    """A DSA-like chapter based in Portland that also serves Eureka and Seattle, and a group
    based in Eureka."""
    chapter = services.organization_create(
        user=organizer,
        name="Cascade Socialists",
        home_place=places["portland"],
        description="A chapter of a national socialist organization.",
        issue_areas=["housing"],
    )
    chapter.service_areas.set([places["eureka"], places["seattle"], places["portland"]])
    local = services.organization_create(
        user=organizer, name="Eureka Watershed Defenders", home_place=places["eureka"]
    )
    services.directory_touch()
    return {"chapter": chapter, "local": local}


def test_a_search_by_place_finds_a_group_serving_it_from_elsewhere(chapters, places):
    based = selectors.organization_search(user=None, place=places["humboldt"])
    assert [o.name for o in based] == ["Eureka Watershed Defenders"]
    found, total = serving.organization_search_serving(user=None, place=places["humboldt"])
    assert [o.name for o in found] == ["Cascade Socialists"] and total == 1


def test_serving_follows_the_other_filters(chapters, places):
    def found(**filters):
        return [o.name for o in serving.organization_search_serving(user=None, **filters)[0]]

    assert found(place=places["eureka"], q="socialist") == ["Cascade Socialists"]
    assert found(place=places["eureka"], q="rivers") == []
    assert found(place=places["eureka"], issue="housing") == ["Cascade Socialists"]
    assert found(place=places["eureka"], issue="food") == []
    assert found(place=places["eureka"], kind="coop") == []


def test_a_region_counts_a_group_based_inside_it_as_based_not_serving(chapters, places):
    # Portland is in Cascadia and Oregon: the chapter is based there, never listed twice.
    assert serving.organization_search_serving(user=None, place=places["cascadia"])[1] == 0
    assert serving.organization_search_serving(user=None, place=places["oregon"])[1] == 0
    assert serving.organization_search_serving(user=None, place=places["california"])[1] == 1
    assert serving.organization_search_serving(user=None, place=places["washington"])[1] == 1


def test_hidden_groups_do_not_serve_in_public_searches(chapters, places):
    chapters["chapter"].is_hidden = True
    chapters["chapter"].save()
    assert serving.organization_search_serving(user=None, place=places["eureka"])[1] == 0


def test_the_directory_page_lists_them_apart(client, chapters, places):
    page = client.get(reverse("directory:search"), {"place": places["eureka"].slug})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Serving Eureka from elsewhere" in html
    assert html.index("Cascade Socialists") < html.index("Based in Eureka")
    assert "Eureka Watershed Defenders" in html


def test_counts_tell_serving_from_based_without_double_counting(chapters, places):
    # Serves two places in Washington and California each, once per level above them.
    chapters["chapter"].service_areas.add(places["berkeley"])
    services.directory_touch()
    assert selectors.directory_counts(places["california"])["serving"] == 1
    assert selectors.directory_counts(places["alameda"])["serving"] == 1
    assert selectors.directory_counts(places["eureka"])["serving"] == 1
    assert selectors.directory_counts(places["eureka"])["organizations"] == 1
    # Based in the US and Cascadia: based, not serving.
    assert selectors.directory_counts(places["us"])["serving"] == 0
    assert selectors.directory_counts(places["cascadia"])["serving"] == 0
    assert selectors.directory_counts(places["oregon"])["organizations"] == 1


@pytest.fixture
def fresh_map():
    from commonweal.tests import listings as shared

    yield from shared.fresh_map_index()


def test_the_map_shows_where_groups_serve_when_asked(client, chapters, places, fresh_map):
    url = reverse("directory:clusters")
    plain = client.get(url, {"bbox": "-130,30,-115,52", "zoom": 5}).json()
    assert "served" not in plain
    # Zoomed in on Eureka: a ring for the place, naming the chapter based in Portland.
    near = client.get(url, {"bbox": "-125,40,-123,41.5", "zoom": 9, "served": "1"}).json()
    [marker] = near["served"]["markers"]
    assert marker["place"] == "Eureka" and marker["groups"] == 1
    assert [i["name"] for i in marker["items"]] == ["Cascade Socialists"]
    # Its home (Portland) is the listing's own marker, never a ring as well.
    home = client.get(url, {"bbox": "-123,45,-122,46", "zoom": 9, "served": "1"}).json()
    assert home["served"]["markers"] == []
    # Zoomed out: cells, each group counted once per cell; filters apply.
    wide = client.get(url, {"bbox": "-180,-85,180,85", "zoom": 1, "served": "1"}).json()
    assert sum(m["groups"] for m in wide["served"]["markers"]) >= 1
    food = client.get(
        url, {"bbox": "-180,-85,180,85", "zoom": 1, "served": "1", "issue": "food"}
    ).json()
    assert food["served"]["markers"] == []


def test_the_map_page_offers_the_toggle(client, db):
    assert "Show where groups serve" in client.get(reverse("directory:map")).content.decode()


def test_roll_ups_count_serving_per_place_once_and_apart_from_based(chapters, places):
    from directory.serving import serving_counts

    chapters["chapter"].service_areas.add(places["berkeley"], places["oakland"])
    services.directory_touch()
    us = serving_counts(
        places["us"], [places["california"], places["oregon"], places["washington"]]
    )
    # Two Alameda towns and Eureka: one group in California; based in Oregon; serving Washington.
    assert us == {places["california"].pk: 1, places["oregon"].pk: 0, places["washington"].pk: 1}
    ca = serving_counts(places["california"], [places["alameda"], places["humboldt"]])
    assert ca == {places["alameda"].pk: 1, places["humboldt"].pk: 1}
    region = serving_counts(places["cascadia"], [places["humboldt"], places["oregon"]])
    assert region == {places["humboldt"].pk: 1, places["oregon"].pk: 0}


def test_place_pages_show_based_and_serving_columns(client, chapters, places):
    html = client.get(reverse("place", args=[places["california"].slug])).content.decode()
    assert "Serving from elsewhere" in html and "Based here" in html
    assert "more serving here from elsewhere" in html


def test_a_region_lists_a_group_based_outside_it_that_serves_inside(chapters, places, organizer):
    network = services.organization_create(
        user=organizer, name="Atlantic Mutual Aid Network", home_place=places["nyc"]
    )
    network.service_areas.set([places["vancouver"]])
    services.directory_touch()
    found, total = serving.organization_search_serving(user=None, place=places["cascadia"])
    assert [o.name for o in found] == ["Atlantic Mutual Aid Network"] and total == 1
    assert selectors.directory_counts(places["cascadia"])["serving"] == 1
    assert selectors.directory_counts(places["bc"])["serving"] == 1
    based = selectors.organization_search(user=None, place=places["cascadia"])
    assert "Atlantic Mutual Aid Network" not in [o.name for o in based]
