"""The calls-to-action and alerts forms ask which place a bare "Portland" means with choices a
person clicks (as the listing editor does), not a list of names inside the error message."""

# ruff: noqa: F811 - `portlands` is a fixture shared with the directory's place tests

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import CallToAction, Subscription
from actions.tests.test_pages import call_post
from commonweal.tests import listings as shared
from directory.tests.test_place_fields import portlands  # noqa: F401 (a fixture)
from places.geocoder import reset_geocoder
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    reset_geocoder()
    yield from shared.fresh_map_index()
    reset_geocoder()


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def asks(response: Any, places: dict[str, Place], field: str) -> None:
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="place-choices"' in body
    assert f'name="{field}_pick" value="{places["portland"].pk}"' in body
    # The choices are to click, not a list to retype from the error message.
    assert "Type one of them" not in body


def test_a_call_asks_which_portland_and_takes_the_pick(
    cast: Any,
    member: Any,
    places: dict[str, Place],
    portlands: dict[str, Place],
) -> None:
    client = signed_in(member)
    data = call_post(cast, scope="Portland", time_zone="")
    asks(client.post(reverse("actions:new"), data), places, "scope")
    assert not CallToAction.objects.exists()
    response = client.post(
        reverse("actions:new"), {**data, "scope_pick": str(places["portland"].pk)}
    )
    assert response.status_code == 302
    assert CallToAction.objects.get().scope == places["portland"]


def test_a_call_takes_seattle_wa(cast: Any, member: Any, places: dict[str, Place]) -> None:
    data = call_post(cast, scope="Seattle, WA", time_zone="")
    assert signed_in(member).post(reverse("actions:new"), data).status_code == 302
    assert CallToAction.objects.get().scope == places["seattle"]


def test_a_subscription_asks_which_portland_and_takes_the_pick(
    organizer: Any,
    places: dict[str, Place],
    portlands: dict[str, Place],
) -> None:
    client = signed_in(organizer)
    data = {"organization": "", "email": "", "place": "Portland"}
    asks(client.post(reverse("actions:alerts"), data), places, "place")
    response = client.post(
        reverse("actions:alerts"), {**data, "place_pick": str(portlands["maine"].pk)}
    )
    assert response.status_code == 302
    assert Subscription.objects.get().place == portlands["maine"]


def test_an_alert_asks_which_portland(
    site_coordinator: Any,
    places: dict[str, Place],
    portlands: Any,
) -> None:
    data = {"subject": "Eviction watch", "body": "Come to court.", "place": "Portland"}
    asks(signed_in(site_coordinator).post(reverse("actions:alert_send"), data), places, "place")
