"""A visitor looks for groups in a place and finds a chapter that serves it from elsewhere, in
the directory and on the map, at a desktop's width and a phone's (issue 10: service areas).
Skips when Chromium is not installed, like the other browser tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from commonweal.tests import browser as shared_browser
from commonweal.tests import listings as shared
from directory import services
from places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.fixture
def chapter(places: dict[str, Place], organizer: Any) -> Any:
    """Like a DSA chapter: based in Portland, serving the towns of its ZIP codes elsewhere."""
    org = services.organization_create(
        user=organizer,
        name="Cascade Socialists",
        home_place=places["portland"],
        description="A chapter of a national socialist organization.",
    )
    org.service_areas.set([places["eureka"], places["seattle"]])
    services.organization_create(
        user=organizer, name="Eureka Watershed Defenders", home_place=places["eureka"]
    )
    services.directory_touch()
    return org


@pytest.mark.parametrize("width", [1280, 360])
def test_a_visitor_finds_a_chapter_serving_a_place_from_elsewhere(
    browser: Any, live_server: Any, chapter: Any, width: int
) -> None:
    page = shared_browser.new_page(browser, width)
    page.goto(f"{live_server.url}/directory/")
    page.fill("#id_place", "Eureka")
    page.click("#search-form button[type=submit]")
    serving = page.locator("[data-testid=serving-elsewhere]")
    serving.wait_for()
    assert "Serving Eureka from elsewhere" in serving.inner_text()
    link = serving.get_by_role("link", name="Cascade Socialists")
    assert link.is_visible()
    assert shared_browser.fits(page, "[data-testid=serving-elsewhere]")
    # The group based there is still listed, under its own heading.
    assert page.get_by_text("Based in Eureka").is_visible()
    assert page.get_by_role("link", name="Eureka Watershed Defenders").is_visible()
    link.click()
    page.wait_for_url(f"**/{chapter.slug}/**")
    assert page.get_by_role("heading", name="Cascade Socialists").first.is_visible()

    # On the map, zoomed on Eureka: with the toggle on, a ring shows the chapter serving it.
    page.goto(f"{live_server.url}/map/#10/40.8021/-124.1637")
    page.wait_for_selector("#world-map[data-loaded='1']")
    assert page.locator(".served-icon").count() == 0
    page.check("#map-served")
    page.wait_for_selector(".served-icon")
    assert "served place" in page.inner_text("#map-status")
    page.locator(".served-icon").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Cascade Socialists" in popup.inner_text()
    page.context.close()
