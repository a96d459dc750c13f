"""Every listing of a long list can be reached page by page: pages past the first go by key
(after=/before= the id of a listing shown), where offset pages stopped at page 200."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from commonweal.tests import listings as shared
from directory.models import Organization
from directory.services import directory_touch
from places.models import Place

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'rel="prev" href="([^"]+)"')
LISTINGS = 205  # more than 200 pages of one listing each


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture
def many(places: dict[str, Place], monkeypatch: Any) -> list[str]:
    # commonweal.views copies the page size when first imported: import (and patch) it first,
    # so that the copy it keeps for later tests is the real one.
    monkeypatch.setattr("commonweal.views.PER_PAGE", 1)
    monkeypatch.setattr("directory.views.PER_PAGE", 1)
    portland = places["portland"]
    # Some names repeat, so the order's tie-break (the id) is walked too.
    names = [f"Group {i // 2:04d}" for i in range(LISTINGS)]
    Organization.objects.bulk_create(
        Organization(
            name=name,
            slug=f"group-{i}",
            home_place=portland,
            place_lft=portland.lft,
            issue_mask=1,
        )
        for i, name in enumerate(names)
    )
    directory_touch()
    return names


def link(body: str, pattern: re.Pattern[str]) -> str | None:
    found = pattern.search(body)
    return found.group(1).replace("&amp;", "&") if found else None


def walk(client: Client, path: str, start: str, pattern: re.Pattern[str]) -> list[int]:
    """Follow one kind of link to its end; the ids of the listings on the way."""
    seen: list[int] = []
    url: str | None = start
    while url is not None and len(seen) < 2 * LISTINGS:
        response = client.get(url)
        assert response.status_code == 200, url
        seen.extend(org.pk for org in response.context["page"].items)
        nxt = link(response.content.decode(), pattern)
        url = f"{path}{nxt}" if nxt else None
    return seen


def in_order() -> list[int]:
    return list(Organization.objects.order_by("name", "id").values_list("id", flat=True))


@pytest.mark.parametrize("who", ["visitor", "site coordinator"])
def test_next_links_reach_every_listing_of_the_directory(
    client: Client, many: list[str], who: str, site_coordinator: Any
) -> None:
    if who == "site coordinator":
        client.force_login(site_coordinator)
    path = reverse("directory:search")
    assert walk(client, path, path, NEXT) == in_order()


def test_next_links_reach_every_listing_of_a_filtered_search(
    client: Client, many: list[str]
) -> None:
    path = reverse("directory:search")
    assert walk(client, path, f"{path}?q=group", NEXT) == in_order()


def test_previous_links_walk_back_to_the_first_page(client: Client, many: list[str]) -> None:
    path = reverse("directory:search")
    last_id = in_order()[-1]
    before_last = in_order()[-2]
    # The link a visitor would have followed to the last page.
    start = f"{path}?page={LISTINGS}&after={before_last}"
    back = walk(client, path, start, PREVIOUS)
    assert back == [last_id, *reversed(in_order()[:-1])]


def test_a_place_page_pages_past_two_hundred(client: Client, many: list[str], places: dict) -> None:
    path = reverse("place", args=[places["portland"].slug])
    assert len(walk(client, path, path, NEXT)) == LISTINGS


def test_a_deep_page_without_a_key_says_how_to_get_there(client: Client, many: list[str]) -> None:
    response = client.get(reverse("directory:search"), {"page": 500})
    assert response.status_code == 400
    assert "Next link" in response.content.decode()


def test_a_key_whose_listing_is_gone_starts_again_at_the_first_page(
    client: Client, many: list[str]
) -> None:
    response = client.get(reverse("directory:search"), {"page": 300, "after": 10**9})
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert [o.pk for o in response.context["page"].items] == in_order()[:1]


def test_the_api_walks_every_result_by_key(client: Client, many: list[str]) -> None:
    seen: list[int] = []
    after = ""
    while True:
        params = {"limit": "50", "after": after} if after else {"limit": "50"}
        response = client.get("/api/organizations", params)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == LISTINGS
        if not body["items"]:
            break
        seen.extend(item["id"] for item in body["items"])
        after = str(body["items"][-1]["id"])
    assert seen == in_order()


def test_the_api_names_a_bad_key(client: Client, many: list[str]) -> None:
    response = client.get("/api/organizations", {"after": 10**9})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["query", "after"]
