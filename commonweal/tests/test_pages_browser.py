"""The pages in a real browser: HTMX search, the clustered map, signing up and in.

They drive Debian's Chromium through Playwright and skip when it is not installed, so a fresh
machine can run `make test`; CI installs Chromium and runs them.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from accounts.models import User
from commonweal.tests import browser as shared_browser
from commonweal.tests import listings as shared
from directory.models import Organization
from places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture
def listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    return shared.make_listings(places, organizer)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    # Map tiles come from the internet; the tests only need our own clusters.
    tab.route(
        "**/*.png",
        lambda route: route.abort() if "/static/" not in route.request.url else route.continue_(),
    )
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def result_names(page: Any) -> list[str]:
    return [name.strip() for name in page.locator("#results .result h3").all_inner_texts()]


def test_search_and_filters_update_the_results_in_place(
    page: Any, live_server: Any, listings: dict
) -> None:
    page.goto(f"{live_server.url}/directory/")
    # Active groups by default; the inactive Eureka group waits behind "Any status".
    assert len(result_names(page)) == 5
    # A marker on window survives HTMX swaps but not a full page load.
    page.evaluate("window.__sameDocument = true")

    page.fill("#id_q", "tenants")
    page.wait_for_function("() => document.querySelectorAll('#results .result').length === 1")
    assert result_names(page) == ["Portland Tenants Union"]
    assert "q=tenants" in page.url

    page.fill("#id_q", "")
    page.select_option("#id_issue", "housing")
    page.wait_for_function("() => document.querySelectorAll('#results .result').length === 3")
    assert result_names(page) == [
        "Oregon Housing Coalition",
        "Portland Tenants Union",
        "Seattle Transit Riders",
    ]

    page.select_option("#id_kind", "network")
    page.wait_for_function("() => document.querySelectorAll('#results .result').length === 1")
    assert result_names(page) == ["Seattle Transit Riders"]
    assert page.evaluate("window.__sameDocument") is True


def test_result_pages_turn_in_place(
    page: Any, live_server: Any, listings: dict, monkeypatch: Any
) -> None:
    monkeypatch.setattr("directory.views.PER_PAGE", 4)
    page.goto(f"{live_server.url}/directory/")
    page.evaluate("window.__sameDocument = true")
    first = result_names(page)
    page.click("a[rel='next']")
    # Five active groups by default: four on the first page, one on the second.
    page.wait_for_function("() => document.querySelectorAll('#results .result').length === 1")
    assert "page=2" in page.url
    assert set(result_names(page)).isdisjoint(first)
    assert page.evaluate("window.__sameDocument") is True


def test_the_search_form_works_by_keyboard(page: Any, live_server: Any, listings: dict) -> None:
    page.goto(f"{live_server.url}/directory/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.focus("#id_q")
    page.keyboard.type("meals")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#results .result').length === 1")
    assert result_names(page) == ["Oakland Food Not Bombs"]


def test_the_map_draws_clusters_and_points(page: Any, live_server: Any, listings: dict) -> None:
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#world-map[data-loaded='1']")
    assert page.locator(".cluster-icon").count() >= 1
    assert "organizations in view" in page.inner_text("#map-status")

    page.goto(f"{live_server.url}/map/#12/45.5152/-122.6784")
    page.wait_for_selector(".point-icon[title='Portland Tenants Union']")
    page.click(".point-icon[title='Portland Tenants Union']")
    link = page.locator(".leaflet-popup-content a")
    assert link.inner_text() == "Portland Tenants Union"


def test_the_map_follows_its_filters(page: Any, live_server: Any, listings: dict) -> None:
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#world-map[data-loaded='1']")
    page.select_option("#id_kind", "network")
    page.wait_for_function(
        "() => document.getElementById('map-status').textContent.startsWith('1 organization ')"
    )
    assert "kind=network" in page.url


def test_a_person_signs_up_then_signs_in(page: Any, live_server: Any, db: None) -> None:
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_email", "grace@example.org")
    page.fill("#id_display_name", "Grace")
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Sign up')")
    page.wait_for_url(f"{live_server.url}/accounts/signup/sent/")
    assert "Check your email" in page.inner_text("main")
    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm/\S+", str(message.body))
    assert link is not None
    page.goto(link.group(0))
    page.click("main button:has-text('Open my account')")
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    assert "grace@example.org" in page.inner_text("main")
    assert User.objects.get(email="grace@example.org").is_active

    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{live_server.url}/")
    page.click("text=Sign in")
    page.fill("#id_username", "Grace@Example.org")
    page.fill("#id_password", "correct horse battery")
    page.click("main button:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("nav[aria-label='Account']").inner_text().startswith("Grace")
