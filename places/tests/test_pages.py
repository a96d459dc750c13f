"""Place pages: the tree around a place, counts below it, its groups, coalitions and map."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from commonweal.tests import listings as shared
from directory.models import Organization
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture
def listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    return shared.make_listings(places, organizer)


class TestPlacePage:
    def test_it_shows_ancestors_sub_places_with_counts_and_groups(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        response = client.get(reverse("place", args=[places["california"].slug]))
        body = response.content.decode()
        assert response.status_code == 200
        assert [p.name for p in response.context["ancestors"]] == ["World", "United States"]
        rows = {row["place"].name: row for row in response.context["with_groups"]}
        assert rows["Alameda County"]["total"] == 1 and rows["Humboldt County"]["total"] == 1
        assert [area.name for area, _, _ in rows["Alameda County"]["issues"]] == [
            "Food",
            "Mutual aid",
        ]
        assert response.context["total"] == 2
        assert "Oakland Food Not Bombs" in body and "Eureka Climate Action" in body
        assert "Cascadia" not in body  # California as a whole is not inside Cascadia

    def test_it_counts_issues_for_the_place_itself(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        response = client.get(reverse("place", args=[places["us"].slug]))
        issues = {area.slug: n for area, n in response.context["issues"]}
        assert issues["housing"] == 3 and issues["mutual-aid"] == 2

    def test_it_lists_sub_places_without_groups_apart(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        response = client.get(reverse("place", args=[places["alameda"].slug]))
        assert [r["place"].name for r in response.context["with_groups"]] == ["Oakland"]
        assert [r["place"].name for r in response.context["without_groups"]] == ["Berkeley"]

    def test_it_shows_coalitions_based_at_that_level(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        oregon = client.get(reverse("place", args=[places["oregon"].slug]))
        assert [c.name for c in oregon.context["coalitions"]] == ["Oregon Housing Coalition"]
        us = client.get(reverse("place", args=[places["us"].slug]))
        assert us.context["coalitions"] == []

    def test_it_names_the_regions_a_place_belongs_to(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        body = client.get(reverse("place", args=[places["oregon"].slug])).content.decode()
        assert reverse("place", args=[places["cascadia"].slug]) in body

    def test_a_region_page_lists_its_member_places_and_counts(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        response = client.get(reverse("place", args=[places["cascadia"].slug]))
        assert response.status_code == 200
        assert [p.name for p in response.context["members"]] == [
            "Humboldt County",
            "British Columbia",
            "Oregon",
            "Washington",
        ]
        assert response.context["total"] == 4

    def test_it_pages_the_groups_below_a_big_place(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("directory.views.PER_PAGE", 2)
            first = client.get(reverse("place", args=[places["world"].slug]))
            third = client.get(reverse("place", args=[places["world"].slug]), {"page": "3"})
        assert first.context["page"].has_next and first.context["page"].total == 6
        assert len(third.context["page"].items) == 2 and not third.context["page"].has_next

    def test_it_draws_a_map_limited_to_the_place(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        body = client.get(reverse("place", args=[places["oregon"].slug])).content.decode()
        assert (
            f'data-place="{places["oregon"].slug}"' in body and "/static/leaflet/leaflet.js" in body
        )

    def test_it_answers_404_for_unknown_places(self, client: Client, places: dict) -> None:
        assert client.get(reverse("place", args=["atlantis"])).status_code == 404

    def test_it_refuses_other_methods(self, client: Client, places: dict) -> None:
        assert client.post(reverse("place", args=[places["oregon"].slug])).status_code == 405


class TestPlacesIndexAndSuggestions:
    def test_the_index_opens_the_world(self, client: Client, places: dict) -> None:
        response = client.get(reverse("places:index"))
        assert response.status_code == 302 and response["Location"] == reverse(
            "place", args=[places["world"].slug]
        )

    def test_it_suggests_places_with_their_state_and_country(
        self, client: Client, places: dict
    ) -> None:
        response = client.get(reverse("places:suggest"), {"place": "Oakl"})
        body = response.content.decode()
        assert response.status_code == 200
        assert (
            '<option value="Oakland, California, United States">Oakland, California, United States</option>'
            in body
        )

    def test_it_suggests_nothing_for_one_letter(self, client: Client, places: dict) -> None:
        assert client.get(reverse("places:suggest"), {"near": "o"}).content.decode().strip() == ""

    def test_they_refuse_other_methods(self, client: Client, places: dict) -> None:
        assert client.post(reverse("places:suggest")).status_code == 405
        assert client.post(reverse("places:index")).status_code == 405
