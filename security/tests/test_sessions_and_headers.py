"""Sessions a person can see and end, coordinators' shorter sessions, Secure cookies over HTTPS,
and the headers every page carries."""

from typing import Any

import pytest

from accounts.models import AuditEvent
from security.devices import describe
from security.models import TrackedSession
from security.tests.conftest import signed_in

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0 Mobile Safari/537.36"
)


def test_it_lists_each_session_with_its_browser_address_and_last_seen(member: Any) -> None:
    laptop = signed_in(member, HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.5")
    signed_in(member, HTTP_USER_AGENT=ANDROID, REMOTE_ADDR="198.51.100.7")
    page = laptop.get("/security/sessions/").content.decode()
    assert "Firefox on Linux" in page and "203.0.113.5" in page
    assert "Chrome on Android" in page and "198.51.100.7" in page
    assert page.count("Sign out this session") == 1  # not for the one in use


def test_it_signs_out_one_session(member: Any) -> None:
    laptop = signed_in(member)
    laptop.get("/accounts/me/")
    phone = signed_in(member)
    phone.get("/accounts/me/")
    phone_key = phone.session.session_key
    tracked = TrackedSession.objects.get(session_key=phone_key)
    laptop.post("/security/sessions/sign-out/", {"session": tracked.pk})
    assert phone.get("/accounts/me/").status_code == 302  # back to the sign-in page
    assert laptop.get("/accounts/me/").status_code == 200
    assert AuditEvent.objects.filter(action="security.session_signed_out").exists()


def test_it_refuses_to_end_someone_elses_session(member: Any, outsider: Any) -> None:
    theirs = signed_in(outsider)
    theirs.get("/accounts/me/")
    tracked = TrackedSession.objects.get(user=outsider)
    mine = signed_in(member)
    response = mine.post("/security/sessions/sign-out/", {"session": tracked.pk})
    assert response.status_code == 403
    assert theirs.get("/accounts/me/").status_code == 200


def test_it_signs_out_everywhere(member: Any) -> None:
    browsers = [signed_in(member) for _ in range(3)]
    for browser in browsers:
        browser.get("/accounts/me/")
    response = browsers[0].post("/security/sessions/sign-out-everywhere/")
    assert response.status_code == 302
    assert all(b.get("/accounts/me/").status_code == 302 for b in browsers)
    assert not TrackedSession.objects.filter(user=member).exists()
    event = AuditEvent.objects.get(action="security.signed_out_everywhere")
    assert event.data == {"sessions": 3}


def test_it_gives_coordinators_a_shorter_session(
    member: Any, site_coordinator: Any, settings: Any
) -> None:
    settings.SECOND_FACTOR_ENFORCED = False
    person = signed_in(member)
    person.get("/accounts/me/")
    coordinator = signed_in(site_coordinator)
    coordinator.get("/accounts/me/")

    assert coordinator.session.get_expiry_age() == settings.COORDINATOR_SESSION_SECONDS
    assert person.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_it_makes_cookies_secure_over_https(member: Any, client: Any, settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    plain = client.get("/accounts/login/")
    assert not plain.cookies["csrftoken"]["secure"]
    secure = client.get("/accounts/login/", secure=True)
    assert secure.cookies["csrftoken"]["secure"]
    assert secure["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in plain


def test_it_sends_a_strict_policy_with_a_nonce_free_page(client: Any) -> None:
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src "))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_it_names_browsers_people_recognise() -> None:
    assert describe(FIREFOX) == "Firefox on Linux"
    assert describe(ANDROID) == "Chrome on Android"
    assert describe("") == "?"
