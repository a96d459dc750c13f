"""A coordinator issues a call at 10:00 in Los Angeles and cancels it, in a real browser at
desktop and phone widths. Skips when Chromium is not installed."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from actions.models import CallState, CallToAction
from commonweal.tests import browser as shared_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.fixture(params=[1280, 360], ids=["desktop", "phone"])
def page(request: Any, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    tab = context.new_page()
    # Map tiles come from the internet; nothing here needs them.
    tab.route(
        "**/*.png",
        lambda route: route.abort() if "/static/" not in route.request.url else route.continue_(),
    )
    tab.set_default_timeout(10_000)
    tab.width = request.param
    yield tab
    context.close()


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width + 1


def test_a_coordinator_issues_a_call_at_ten_in_los_angeles_and_cancels_it_after_confirming(
    page: Any, live_server: Any, cast: Any, member: Any
) -> None:
    day = (timezone.now() + timedelta(days=20)).strftime("%Y-%m-%d")
    deadline = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%d")
    page.goto(f"{live_server.url}/accounts/login/?next=/actions/new/")
    page.fill("input[name=username]", member.email)
    page.fill("input[type=password]", "a-long-passphrase")
    page.click("main form button[type=submit]")

    page.wait_for_selector("input[name=title]")
    page.fill("input[name=title]", "Fares down, service up")
    page.fill("textarea[name=description]", "Rallies at every depot.")
    page.fill("input[name=scope]", "California")
    page.fill("input[name=starts_at]", f"{day}T10:00")
    page.fill("input[name=deadline]", f"{deadline}T17:00")
    page.fill("input[name=min_organizations]", "2")
    _fits(page)
    page.click("main form button[type=submit]")

    starts = page.locator("#call-starts")
    starts.wait_for()
    assert "10:00 America/Los_Angeles" in starts.inner_text()
    _fits(page)
    call = CallToAction.objects.get(title="Fares down, service up")
    feed = page.request.get(f"{live_server.url}/actions/{call.slug}/calendar.ics").text()
    assert f"DTSTART;TZID=America/Los_Angeles:{day.replace('-', '')}T100000" in feed

    # Cancelling asks first; "No, keep it" leaves the call as it was.
    page.click("#cancel-call")
    page.wait_for_selector("#confirm-cancel")
    assert "Cancel “Fares down, service up”?" in page.inner_text("h1")
    _fits(page)
    page.click("text=No, keep it")
    page.locator("#call-starts").wait_for()
    call.refresh_from_db()
    assert call.state == CallState.GATHERING

    page.click("#cancel-call")
    page.fill("textarea[name=reason]", "The council backed down.")
    page.click("#confirm-cancel")
    page.wait_for_selector("text=This call was cancelled")
    call.refresh_from_db()
    assert call.state == CallState.CANCELLED
