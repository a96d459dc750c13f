"""The story of issue 15's "done when": a coordinator signs in, is sent to set up a second
factor, enrols a passkey, and from then on cannot get past the sign-in without it. Chromium's
virtual authenticator (over CDP) plays the phone's passkey, at desktop and phone width."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import AuditEvent, User
from commonweal.tests import browser as shared_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password


@pytest.fixture(autouse=True)
def _enforced(settings: Any) -> None:
    settings.SECOND_FACTOR_ENFORCED = True


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


def with_passkey_device(browser: Any, width: int) -> tuple[Any, Any]:
    """A tab whose browser has a platform authenticator holding passkeys (like a phone)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return context, page


def password_step(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/outreach/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Sign in')")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_coordinator_enrols_a_passkey_and_cannot_sign_in_without_it(
    browser: Any, live_server: Any, regional_coordinator: User, width: str
) -> None:
    base = live_server.url
    pixels = shared_browser.WIDTHS[width]
    context, page = with_passkey_device(browser, pixels)

    # The password alone lands on the enrolment page, whatever was asked for.
    password_step(page, base, regional_coordinator.email)
    page.wait_for_url(f"{base}/security/?next=*")
    assert page.locator("#must-enrol").is_visible()
    page.goto(f"{base}/directory/")
    assert page.url.startswith(f"{base}/security/")

    page.click("#passkey-register-button")
    page.wait_for_selector("#factors li")
    assert "Passkey" in page.inner_text("#factors")
    assert not page.locator("#must-enrol").count()
    assert shared_browser.fits(page, "#factors")
    assert AuditEvent.objects.filter(
        actor=regional_coordinator, action="security.second_factor_added"
    ).exists()
    page.goto(f"{base}/directory/")
    assert page.url == f"{base}/directory/"

    # Signed out and back in: the password leads only to the second step.
    page.goto(f"{base}/accounts/me/")
    page.click("header button:has-text('Sign out')") if pixels > 600 else _phone_sign_out(page)
    password_step(page, base, regional_coordinator.email)
    page.wait_for_url(f"{base}/security/verify/?next=*")
    page.goto(f"{base}/outreach/")
    assert page.url.startswith(f"{base}/security/verify/")
    page.click("#passkey-verification-button")
    page.wait_for_url(f"{base}/outreach/")
    assert AuditEvent.objects.filter(
        actor=regional_coordinator, action="security.second_factor_used"
    ).exists()
    context.close()

    # Another browser, with the password but without the passkey, gets no further.
    context, page = with_passkey_device(browser, pixels)
    password_step(page, base, regional_coordinator.email)
    page.wait_for_url(f"{base}/security/verify/?next=*")
    page.click("#passkey-verification-button")
    page.wait_for_timeout(1000)
    assert page.url.startswith(f"{base}/security/verify/")
    for path in ("/outreach/", "/accounts/me/", "/security/app/"):
        page.goto(base + path)
        assert page.url.startswith(f"{base}/security/verify/"), path
    context.close()


def _phone_sign_out(page: Any) -> None:
    page.click(".menu-toggle")
    page.click("header button:has-text('Sign out')")
