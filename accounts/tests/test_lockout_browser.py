"""Guessing a password in the real sign-in page, at desktop and phone widths: the account locks
and the page says so, its owner is mailed, and the mailed link opens it again."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import caches

from accounts.models import User
from commonweal.tests import browser as shared_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared fixtures' test password


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


def new_page(browser: Any, width: int) -> Any:
    page = shared_browser.new_page(browser, width)
    # Twenty sign-ins in a row take a while on a busy machine.
    page.set_default_timeout(30_000)
    return page


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    # Every browser tab comes from 127.0.0.1: its failures must not outlive this test.
    caches["limits"].clear()
    yield
    caches["limits"].clear()


@pytest.mark.parametrize("width", shared_browser.WIDTHS.values(), ids=shared_browser.WIDTHS.keys())
def test_twenty_wrong_passwords_lock_the_account_and_the_page_says_so(
    browser: Any, live_server: Any, member: User, width: int
) -> None:
    page = new_page(browser, width)
    page.goto(f"{live_server.url}/accounts/login/")
    for attempt in range(20):
        page.fill("#id_username", member.email)
        page.fill("#id_password", f"wrong guess {attempt}")
        page.click("main button:has-text('Sign in')")
        page.wait_for_load_state("load")
    alert = page.locator("main").get_by_text("This account is locked")
    assert alert.is_visible()
    assert shared_browser.fits(page, "main form")

    # The right password is refused now too.
    page.fill("#id_username", member.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Sign in')")
    page.wait_for_load_state("load")
    assert "/accounts/login/" in page.url
    assert page.locator("main").get_by_text("This account is locked").is_visible()

    # The owner reads the mail and follows its link.
    [message] = [m for m in mail.outbox if m.to == [member.email]]
    link = re.search(r"https?://[^/\s]+(/accounts/unlock/\S+)", str(message.body))
    assert link is not None
    owner = new_page(browser, width)
    owner.goto(f"{live_server.url}{link.group(1)}")
    owner.click("main button:has-text('Unlock my account')")
    owner.wait_for_url(f"{live_server.url}/accounts/login/")
    assert owner.get_by_text("Your account is unlocked").is_visible()
    shared_browser.sign_in(owner, live_server.url, member.email)
    owner.context.close()
    page.context.close()


@pytest.mark.parametrize("width", shared_browser.WIDTHS.values(), ids=shared_browser.WIDTHS.keys())
def test_an_unconfirmed_person_is_told_what_waits_and_confirms_by_mail(
    browser: Any, live_server: Any, width: int
) -> None:
    person = User.objects.create_user(
        "new@example.org", PASSWORD, display_name="Newcomer", email_verified_at=None
    )
    page = new_page(browser, width)
    shared_browser.sign_in(page, live_server.url, person.email)
    banner = page.locator(".verify-banner")
    assert "you cannot add or claim a group" in banner.inner_text()
    assert shared_browser.fits(page, ".verify-banner")
    banner.locator("button").click()
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    assert page.get_by_text("We have mailed you a link").is_visible()

    [message] = [m for m in mail.outbox if m.to == [person.email]]
    link = re.search(r"https?://[^/\s]+(/accounts/verify/\S+)", str(message.body))
    assert link is not None
    page.goto(f"{live_server.url}{link.group(1)}")
    page.click("main button:has-text('Confirm my address')")
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    assert page.get_by_text("Your email address is confirmed").is_visible()
    assert page.locator(".verify-banner").count() == 0
    person.refresh_from_db()
    assert person.email_verified
    page.context.close()
