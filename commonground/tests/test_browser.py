"""Voting in a real browser: HTMX swaps in the next statement without reloading the page, and
a vote changed from "your votes" sticks. Skips when Chromium is not installed."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from commonground.models import Vote

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_default_timeout(10_000)
            yield tab
            browser.close()
            # While Playwright's event loop runs, Django gives the test its own database
            # connection; close it here, or PostgreSQL cannot drop the test database later.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_it_votes_one_statement_after_another_in_place(
    page: Any, live_server: Any, open_conversation: Any, outsider: Any
) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/commonground/{open_conversation.pk}/")
    page.fill("input[name=username]", outsider.email)
    page.fill("input[type=password]", "a-long-passphrase")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".statement-text")
    page.evaluate("window.__sameDocument = true")
    first = page.inner_text(".statement-text")

    page.click("#vote-card button[value='1']")
    page.wait_for_function(
        "() => document.querySelector('#my-votes') && "
        "document.querySelector('#my-votes').innerText.includes('Your votes (1)')"
    )
    assert page.inner_text(".statement-text") != first
    page.click("#vote-card button[value='-1']")
    page.wait_for_selector("text=You have voted on all 2 statements")

    # Change the first vote to a pass from the list of votes.
    row = page.locator("#my-votes li", has_text=first)
    row.locator("button[value='0']").click()
    page.wait_for_function(
        """text => [...document.querySelectorAll('#my-votes li')].some(li =>
            li.innerText.includes(text) &&
            li.querySelector('button[value="0"]').getAttribute('aria-pressed') === 'true')""",
        arg=first,
    )
    assert page.evaluate("window.__sameDocument") is True
    assert sorted(Vote.objects.values_list("value", flat=True)) == [-1, 0]


@pytest.mark.parametrize("width", [1280, 360])
def test_it_says_no_common_ground_has_emerged_between_two_opposed_camps(
    page: Any, live_server: Any, open_conversation: Any, organizer: Any, outsider: Any, width: int
) -> None:
    from commonground import analysis, services
    from commonground.tests.conftest import POLARISED, camp_votes

    votes, comments = camp_votes(POLARISED)
    services.polis_import(
        user=organizer,
        conversation=open_conversation,
        votes_file=votes.encode(),
        comments_file=comments.encode(),
    )
    analysis.analysis_compute(open_conversation.pk)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(
        f"{live_server.url}/accounts/login/?next=/commonground/{open_conversation.pk}/results/"
    )
    page.fill("input[name=username]", outsider.email)
    page.fill("input[type=password]", "a-long-passphrase")
    page.click("main form button[type=submit]")
    note = page.locator("#no-common-ground")
    note.wait_for()
    assert "No common ground has emerged yet." in note.inner_text()
    assert "More statements" in note.inner_text()
    assert note.is_visible()
    # Nothing under a common-ground heading, and the page does not overflow a phone's width.
    assert page.locator("text=Agreed across groups").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert "Camp statement 0" in page.inner_text("#divides-heading + p + ol")
