"""The places admin: regions made and changed through the services, the tree kept in shape."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_coordinator(db: None) -> User:
    return User.objects.create_superuser("staff@example.org", "a-long-passphrase")


@pytest.fixture
def staff_client(client: Client, staff_coordinator: User) -> Client:
    client.force_login(staff_coordinator)
    return client


def test_it_lists_and_searches_places(staff_client: Client, places: dict[str, Place]) -> None:
    response = staff_client.get("/admin/places/place/", {"q": "oakland"})
    assert response.status_code == 200
    assert "Oakland" in response.content.decode()


def test_it_adds_a_region_through_the_service(
    staff_client: Client, places: dict[str, Place]
) -> None:
    response = staff_client.post(
        "/admin/places/place/add/",
        {
            "name": "Salish Sea",
            "kind": "bioregion",
            "description": "",
            "members": [places["washington"].pk, places["bc"].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    region = Place.objects.get(name="Salish Sea")
    assert region.slug == "salish-sea" and region.parent == places["world"]
    assert set(region.members.all()) == {places["washington"], places["bc"]}


def test_it_offers_only_region_kinds_when_adding(
    staff_client: Client, places: dict[str, Place]
) -> None:
    body = staff_client.get("/admin/places/place/add/").content.decode()
    assert 'value="bioregion"' in body and 'value="locality"' not in body


def test_it_corrects_a_tree_place_but_not_its_shape(
    staff_client: Client, places: dict[str, Place]
) -> None:
    eureka = places["eureka"]
    response = staff_client.post(
        f"/admin/places/place/{eureka.pk}/change/",
        {
            "name": "Eureka",
            "description": "Humboldt Bay's city.",
            "alternate_names": "Eureka City",
            "latitude": "40.8",
            "longitude": "-124.16",
            "population": "26512",
            "parent": places["oregon"].pk,  # read-only: ignored
        },
    )
    assert response.status_code == 302
    eureka.refresh_from_db()
    assert eureka.description == "Humboldt Bay's city." and eureka.latitude == 40.8
    assert eureka.parent == places["humboldt"]


def test_it_refuses_to_delete_tree_places(staff_client: Client, places: dict[str, Place]) -> None:
    response = staff_client.get(f"/admin/places/place/{places['oregon'].pk}/delete/")
    assert response.status_code == 403
    response = staff_client.post(
        f"/admin/places/place/{places['cascadia'].pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Place.objects.filter(pk=places["cascadia"].pk).exists()


def test_it_refuses_staff_who_are_not_coordinators(
    client: Client, places: dict[str, Place]
) -> None:
    staff: Any = User.objects.create_user(
        "helper@example.org", "a-long-passphrase", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    response = client.post(
        "/admin/places/place/add/",
        {"name": "Mine", "kind": "bioregion", "members": [places["oregon"].pk]},
    )
    assert response.status_code == 403
    assert not Place.objects.filter(name="Mine").exists()
