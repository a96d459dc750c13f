"""In a real browser, with no mail server set up: a newcomer signs up and is told the truth,
and a site coordinator reads the held message in the hub and passes the link on."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from commonweal.tests import browser as chromium
from commonweal.tests.smtpsink import HOLD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium.launch()


@pytest.mark.parametrize("width", chromium.WIDTHS.values(), ids=chromium.WIDTHS.keys())
def test_a_newcomer_hears_the_truth_and_a_coordinator_passes_the_link_on(
    browser: Any, live_server: Any, site_coordinator: User, settings: Any, tmp_path: Any, width: int
) -> None:
    settings.MAILERS, settings.OUTBOX_DIR = HOLD, tmp_path
    url = live_server.url
    newcomer = chromium.new_page(browser, width)
    newcomer.goto(f"{url}/accounts/signup/")
    newcomer.fill("#id_email", "grace@example.org")
    newcomer.fill("#id_display_name", "Grace")
    newcomer.fill("#id_password", "correct horse battery")
    newcomer.click("main button:has-text('Sign up')")
    newcomer.wait_for_url(f"{url}/accounts/signup/sent/")
    main = newcomer.inner_text("main")
    assert "Your link could not be mailed" in main and "not sending email yet" in main
    assert "Check your email" not in main
    assert "Mail is not being delivered" not in newcomer.content()  # the banner is for staff
    assert chromium.fits(newcomer, "main h1")

    coordinator = chromium.new_page(browser, width)
    chromium.sign_in(coordinator, url, site_coordinator.email)
    banner = coordinator.locator(".mail-banner")
    assert "Mail is not being delivered" in banner.inner_text()
    assert chromium.fits(coordinator, ".mail-banner")
    banner.locator("a:has-text('Read the outbox')").click()
    coordinator.wait_for_url(f"{url}/outbox/")
    coordinator.click("main a:has-text('Confirm your account')")
    body = coordinator.inner_text("pre.mail-body")
    assert "grace@example.org" in coordinator.inner_text("main")
    link = re.search(r"https?://\S+/accounts/confirm/\S+", body)
    assert link is not None
    assert chromium.fits(coordinator, "pre.mail-body")

    newcomer.goto(link.group(0))
    newcomer.click("main button:has-text('Open my account')")
    newcomer.wait_for_url(f"{url}/accounts/me/")
    assert "grace@example.org" in newcomer.inner_text("main")
    assert User.objects.get(email="grace@example.org").is_active
    newcomer.context.close()
    coordinator.context.close()
