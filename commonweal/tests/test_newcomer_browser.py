"""A newcomer's first hour, in a real browser at desktop and phone widths: sign up, add a group
from a page and become its admin, meet a page they may not use and read why, and find their
way with the phone menu.

Drives Debian's Chromium through Playwright (the fixture pattern of test_pages_browser.py) and
skips where it is not installed.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from commonground import services as commonground_services
from commonweal.tests import browser as shared_browser
from commonweal.tests import listings as shared
from directory import services
from directory.models import Organization, OrganizationAdmin
from places.models import Place

WIDTHS = {"desktop": 1280, "phone": 360}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


def new_page(browser: Any, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    return tab


def open_menu_if_phone(page: Any, width: int) -> None:
    """On a phone the links sit behind the Menu button; on a desktop they are always shown."""
    toggle = page.locator(".menu-toggle")
    if width <= 400:
        assert toggle.is_visible()
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
    else:
        assert not toggle.is_visible()


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_a_newcomer_signs_up_adds_a_group_and_is_told_what_they_may_not_do(
    browser: Any, live_server: Any, places: dict[str, Place], organizer: Any, screen: str
) -> None:
    width = WIDTHS[screen]
    someone_elses = services.organization_create(
        user=organizer, name="Portland Tenants Union", home_place=places["portland"]
    )
    page = new_page(browser, width)
    base = live_server.url

    page.goto(f"{base}/")
    if width <= 400:
        # The header is one row: the brand and a Menu button, the links folded away.
        assert page.locator(".site-header").bounding_box()["height"] < 80
        assert not page.locator("nav[aria-label='Main']").is_visible()
    open_menu_if_phone(page, width)
    page.locator("nav[aria-label='Account']").get_by_role("link", name="Sign up").click()
    page.fill("#id_email", "ada@example.org")
    page.fill("#id_display_name", "Ada")
    page.fill("#id_password", "correct horse battery")
    page.click("main button:has-text('Sign up')")
    # The account opens from the link mailed to the address.
    page.wait_for_url(f"{base}/accounts/signup/sent/")
    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm/\S+", str(message.body))
    assert link is not None
    page.goto(link.group(0))
    page.click("main button:has-text('Open my account')")
    page.wait_for_url(f"{base}/accounts/me/")

    # From the menu to the directory, and from there to adding a group.
    open_menu_if_phone(page, width)
    page.locator("nav[aria-label='Main']").get_by_role("link", name="Directory").click()
    page.wait_for_url(f"{base}/directory/")
    page.get_by_role("link", name="Add a group").click()
    page.wait_for_url(f"{base}/directory/add/")
    page.fill("#id_name", "Eastside Tenants Union")
    page.fill("#id_description", "Renters on the east side, organizing building by building.")
    page.fill("#id_home_place", places["portland"].slug)
    page.check("input[name='issue_areas'][value='housing']")
    page.click("main button:has-text('Add the group')")
    page.wait_for_url(f"{base}/organizations/**")
    assert "you are its admin" in page.inner_text(".messages")
    assert page.locator("h1").inner_text() == "Eastside Tenants Union"
    mine = Organization.objects.get(name="Eastside Tenants Union")
    assert OrganizationAdmin.objects.filter(organization=mine, user__email="ada@example.org")
    assert page.get_by_role("link", name="Edit this listing").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Another group's editor: a page in the site's style that says why, not a bare 403.
    response = page.goto(f"{base}/outreach/listing/{someone_elses.slug}/edit/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "You may not do this"
    assert "Only this organization's admins can change its listing." in page.inner_text("main")
    assert page.locator("link[rel='stylesheet']").count() >= 1
    open_menu_if_phone(page, width)
    page.locator("nav[aria-label='Main']").get_by_role("link", name="Places").click()
    page.wait_for_url(f"{base}/places/**")
    if width <= 400:
        # The menu closes again on the next page, and Escape closes it too.
        toggle = page.locator(".menu-toggle")
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("nav[aria-label='Main']").is_visible()
    page.context.close()


def test_a_refused_request_made_in_place_says_why(
    browser: Any, live_server: Any, places: dict[str, Place], organizer: Any, outsider: Any
) -> None:
    """HTMX requests that are refused used to change nothing on the page, as if the click had
    not happened; now the page shows the reason the hub gave."""
    group = services.organization_create(
        user=organizer, name="Portland Tenants Union", home_place=places["portland"]
    )
    conversation = commonground_services.conversation_create(
        user=organizer,
        title="What next?",
        organization=group,
        access="members",
        seed_statements=["Rent caps first"],
    )
    page = new_page(browser, WIDTHS["phone"])
    page.context.add_cookies(
        [{"name": "sessionid", "value": session_for(outsider), "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/commonground/{conversation.pk}/")
    # The vote form is not offered to an outsider; send the vote the way the form would.
    assert page.locator("form[action$='/vote/']").count() == 0
    page.evaluate(
        "htmx.ajax('POST', location.pathname + 'vote/', {values: {statement: 1, value: 1}})"
    )
    page.wait_for_selector("#request-error")
    assert page.inner_text("#request-error") == "You cannot vote in this conversation."
    page.context.close()


def session_for(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)
