"""The rebuild works out the wide pages' default view ahead and stores it by build, so a web
process's first view of the world, a country or a region reads it rather than recounting."""

import re
from typing import Any

import pytest
from django.test import Client

from overview import pages, views
from overview.models import PageParts
from overview.services import overview_rebuild
from overview.tests.conftest import Movement

pytestmark = pytest.mark.django_db


def _no_recount(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the page was worked out on request")

    monkeypatch.setattr(pages, "overview_for_place", refuse)


def _page(client: Client, url: str) -> str:
    # The CSRF token is masked afresh on every response.
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", client.get(url).content.decode())


def test_the_rebuild_stores_the_world_the_countries_and_the_regions(
    movement: Movement,
) -> None:
    build = overview_rebuild()
    stored = set(PageParts.objects.filter(build=build).values_list("place__slug", flat=True))
    p = movement.places
    assert {p["world"].slug, p["us"].slug, p["cascadia"].slug} <= stored
    # A state of a few counties is cheap to work out on request.
    assert p["oregon"].slug not in stored


def test_a_first_view_reads_what_the_rebuild_stored(
    client: Client, movement: Movement, monkeypatch: pytest.MonkeyPatch
) -> None:
    overview_rebuild()
    url = f"/overview/{movement.places['us'].slug}/"
    worked_out = _page(client, url)
    # Another process, or this one after a restart: nothing in its own memory.
    views._parts.clear()
    _no_recount(monkeypatch)
    assert _page(client, url) == worked_out
    assert client.get(f"/overview/{movement.places['world'].slug}/").status_code == 200


def test_a_chosen_issue_or_order_is_worked_out_on_request(
    client: Client, movement: Movement, monkeypatch: pytest.MonkeyPatch
) -> None:
    overview_rebuild()
    _no_recount(monkeypatch)
    with pytest.raises(AssertionError, match="on request"):
        client.get(f"/overview/{movement.places['us'].slug}/?issue=housing")


def test_a_new_build_replaces_the_stored_pages(client: Client, movement: Movement) -> None:
    first = overview_rebuild()
    url = f"/overview/{movement.places['us'].slug}/"
    assert "Oregon" in client.get(url).content.decode()
    second = overview_rebuild()
    assert not PageParts.objects.filter(build=first).exists()
    assert PageParts.objects.filter(build=second).exists()
    views._parts.clear()
    assert "Oregon" in client.get(url).content.decode()
