"""Place fields in a real browser, at desktop and phone widths: an organizer types "Seattle, WA"
in the directory's "near" field and in the listing editor, is asked which Portland they mean,
and confirms moving the group to another country."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import AuditEvent
from commonweal.tests import browser as chromium
from commonweal.tests import listings as shared
from directory.models import Organization
from directory.tests.test_place_fields import portlands  # noqa: F401 (a fixture)
from places.geocoder import reset_geocoder
from places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Screenshots for a person to look at, when asked for.
SHOTS = os.environ.get("BROWSER_SHOTS", "")


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    reset_geocoder()
    yield from shared.fresh_map_index()
    reset_geocoder()


@pytest.fixture
def listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    return shared.make_listings(places, organizer)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium.launch()


@pytest.fixture(params=list(chromium.WIDTHS.values()), ids=list(chromium.WIDTHS.keys()))
def page(request: Any, browser: Any) -> Iterator[Any]:
    tab = chromium.new_page(browser, request.param)
    tab.route("**/*.png", lambda route: route.abort())
    tab.width = request.param
    yield tab
    tab.context.close()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-{page.width}.png", full_page=True)


def settled(page: Any, url: str) -> None:
    """Wait for the page and its requests (suggestions as one types) to finish: the test's own
    database reads share the in-memory database with the server's thread."""
    page.wait_for_url(url)
    page.wait_for_load_state("networkidle")


def test_an_organizer_types_places_as_people_write_them(
    page: Any,
    live_server: Any,
    listings: dict[str, Organization],
    places: dict[str, Place],
    portlands: dict[str, Place],  # noqa: F811
    organizer: Any,
) -> None:
    chromium.sign_in(page, live_server.url, organizer.email)

    # The directory's "near" field takes "Seattle, WA".
    page.goto(f"{live_server.url}/directory/")
    page.fill("#id_near", "Seattle, WA")
    page.press("#id_near", "Enter")
    page.wait_for_selector("#results .result-summary:has-text('near Seattle')")
    shot(page, "near-seattle")

    # A bare "Portland" is a question, answered in the page.
    page.fill("#id_near", "Portland")
    page.press("#id_near", "Enter")
    ask = page.locator("#results .place-ask")
    ask.wait_for()
    assert chromium.fits(page, "#results .place-ask")
    links = ask.locator("a").all_inner_texts()
    assert links[0] == "Portland, Oregon, United States"
    assert "Portland, Maine, United States" in links
    assert not any("Jamaica" in label for label in links[:1])
    shot(page, "near-portland-asks")
    ask.locator("a", has_text="Portland, Maine, United States").click()
    page.wait_for_selector("#results .result-summary:has-text('near Portland, Maine')")

    # The listing editor shows the home place by name and takes "Seattle, WA".
    org = listings["tenants"]
    editor = f"{live_server.url}/outreach/listing/{org.slug}/edit/"
    page.goto(editor)
    assert page.input_value("#id_home_place") == "Portland, Oregon, United States"
    page.fill("#id_home_place", "Seattle, WA")
    page.click("button:has-text('Save the listing')")
    settled(page, f"{live_server.url}/organizations/**")
    org.refresh_from_db()
    assert org.home_place == places["seattle"]

    # "Portland" again: the editor lists the Portlands and saves the one picked.
    page.goto(editor)
    page.fill("#id_home_place", "Portland")
    page.click("button:has-text('Save the listing')")
    page.wait_for_selector(".place-choices")
    assert chromium.fits(page, ".place-choices")
    shot(page, "editor-portland-asks")
    page.check(".place-choices label:has-text('Portland, Oregon, United States') input")
    page.click("button:has-text('Save the listing')")
    settled(page, f"{live_server.url}/organizations/**")
    org.refresh_from_db()
    assert org.home_place == places["portland"]

    # Moving the group to Canada asks first, and the audit log keeps the move.
    page.goto(editor)
    page.fill("#id_home_place", "Vancouver, BC")
    page.click("button:has-text('Save the listing')")
    page.wait_for_selector("#id_confirm_move")
    assert "in another country" in page.inner_text("main")
    shot(page, "editor-confirm-move")
    page.wait_for_load_state("networkidle")
    org.refresh_from_db()
    assert org.home_place == places["portland"]
    page.check("#id_confirm_move")
    page.click("button:has-text('Save the listing')")
    settled(page, f"{live_server.url}/organizations/**")
    org.refresh_from_db()
    assert org.home_place == places["vancouver"]
    assert AuditEvent.objects.filter(action="organization.home_place_move").count() == 1
