"""The home page: what the hub is, a search box, live counts."""

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


def test_it_says_what_the_hub_is_and_offers_a_search(client: Client) -> None:
    body = client.get(reverse("home")).content.decode()
    assert "does not own these groups or their data" in body
    assert 'role="search"' in body and 'action="/directory/"' in body
    assert 'href="#main"' in body and '<main id="main"' in body


def test_it_shows_live_counts(client: Client, listings: dict) -> None:
    counts = client.get(reverse("home")).context["counts"]
    assert counts["organizations"] == 6
    assert counts["coalitions"] == 1
    assert counts["places"] == 6


def test_it_refuses_other_methods(client: Client) -> None:
    assert client.post(reverse("home")).status_code == 405
