"""The coalition forms read places through the hub's one resolver: "Seattle, WA" as people write
it, a region such as Cascadia for a coalition's span, and a bare "Portland" answered with a
short list of Portlands to choose from instead of a guess."""

# ruff: noqa: F811 - `portlands` is a fixture shared with the directory's place tests

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import RegionalCoordinator
from coalitions.models import CoalitionProfile
from commonweal.tests import listings as shared
from directory.models import Organization
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


def start(client: Client, place: str, **extra: str) -> Any:
    data = {"name": "Renters Alliance", "level": "city", "place": place, **extra}
    return client.post(reverse("coalitions:start"), data)


def span_of(name: str) -> Place | None:
    coalition = Organization.objects.get(name=name)
    return CoalitionProfile.objects.get(organization=coalition).span


@pytest.mark.parametrize(
    ("text", "key"),
    [("Seattle, WA", "seattle"), ("Portland, OR", "portland"), ("Cascadia", "cascadia")],
)
def test_starting_a_coalition_takes_places_as_people_write_them(
    text: str,
    key: str,
    places: dict[str, Place],
    portlands: Any,
    organizer: Any,
) -> None:
    response = start(signed_in(organizer), text)
    assert response.status_code == 302
    assert span_of("Renters Alliance") == places[key]


def test_a_bare_portland_asks_with_choices_and_takes_the_one_picked(
    places: dict[str, Place],
    portlands: dict[str, Place],
    organizer: Any,
) -> None:
    client = signed_in(organizer)
    response = start(client, "Portland")
    assert response.status_code == 400
    assert not Organization.objects.filter(name="Renters Alliance").exists()
    body = response.content.decode()
    assert 'class="place-choices"' in body
    assert f'name="place_pick" value="{places["portland"].pk}"' in body
    assert "Portland, Maine, United States" in body
    response = start(client, "Portland", place_pick=str(portlands["maine"].pk))
    assert response.status_code == 302
    assert span_of("Renters Alliance") == portlands["maine"]


def test_appointing_a_coordinator_asks_which_portland(
    places: dict[str, Place],
    portlands: dict[str, Place],
    site_coordinator: Any,
    member: Any,
) -> None:
    client = signed_in(site_coordinator)
    url = reverse("coalitions:appoint")
    response = client.post(url, {"email": "member@example.org", "place": "Portland"})
    assert response.status_code == 400
    assert 'class="place-choices"' in response.content.decode()
    assert not RegionalCoordinator.objects.filter(user=member).exists()
    response = client.post(url, {"email": "member@example.org", "place": "Seattle, WA"})
    assert response.status_code == 302
    assert RegionalCoordinator.objects.get(user=member).place == places["seattle"]


def test_the_coordinator_lookup_reads_a_region_and_asks_for_a_bare_portland(
    client: Client,
    places: dict[str, Place],
    portlands: Any,
) -> None:
    url = reverse("coalitions:coordinators")
    assert client.get(url, {"place": "Cascadia"}).status_code == 200
    response = client.get(url, {"place": "Portland"})
    assert response.status_code == 400
    assert 'class="place-choices"' in response.content.decode()
