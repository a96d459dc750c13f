"""The coalitions list."""

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


def test_it_lists_coalitions(client: Client, listings: dict) -> None:
    response = client.get(reverse("coalitions:index"))
    assert response.status_code == 200
    assert [o.name for o in response.context["page"].items] == ["Oregon Housing Coalition"]
    assert response.context["page"].total == 1


def test_it_limits_coalitions_to_a_place(client: Client, listings: dict, places: dict) -> None:
    inside = client.get(reverse("coalitions:index"), {"place": places["cascadia"].slug})
    outside = client.get(reverse("coalitions:index"), {"place": places["california"].slug})
    assert [o.name for o in inside.context["page"].items] == ["Oregon Housing Coalition"]
    assert outside.context["page"].items == []


def test_it_names_an_unknown_place(client: Client, places: dict) -> None:
    response = client.get(reverse("coalitions:index"), {"place": "atlantis-nowhere"})
    assert response.status_code == 400 and "place" in response.context["form"].errors


def test_it_refuses_other_methods(client: Client) -> None:
    assert client.post(reverse("coalitions:index")).status_code == 405
