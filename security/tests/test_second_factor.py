"""Second factors: asked for after the password, required of coordinators and of the admins of
coalitions that ask it, set up and removed only by someone who has passed them."""

from typing import Any

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from directory import services as directory_services
from security.models import CoalitionSecurity
from security.tests.conftest import app_for, code_of, signed_in

pytestmark = pytest.mark.django_db


def test_it_asks_for_the_second_factor_after_the_password(member: Any, settings: Any) -> None:
    # A wrong code makes the app's device wait before the next try (django-otp's throttling);
    # here the right code follows at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = app_for(member)
    client = signed_in(member)
    response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/security/verify/?next=%2Faccounts%2Fme%2F")
    # The API refuses too rather than answering for a half-signed-in session.
    assert client.post("/api/organizations", {}, content_type="application/json").status_code == 403

    wrong = client.post("/security/verify/", {"token": "000000", "next": "/accounts/me/"})
    assert wrong.status_code == 200 and b"did not work" in wrong.content
    right = client.post("/security/verify/", {"token": code_of(device), "next": "/accounts/me/"})
    assert right.status_code == 302 and right["Location"] == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200
    assert AuditEvent.objects.filter(action="security.second_factor_failed").count() == 1
    assert AuditEvent.objects.filter(action="security.second_factor_used").count() == 1


def test_it_lets_a_recovery_code_stand_in_once(member: Any) -> None:
    app_for(member)
    recovery = StaticDevice.objects.create(user=member, name="recovery", confirmed=True)
    recovery.token_set.create(token="abcd2345")  # noqa: S106 - a recovery code, not a password
    client = signed_in(member)
    assert client.post("/security/verify/", {"token": "abcd2345"}).status_code == 302
    assert client.get("/accounts/me/").status_code == 200
    again = signed_in(member)
    assert again.post("/security/verify/", {"token": "abcd2345"}).status_code == 200


def test_it_leaves_people_without_a_second_factor_alone(member: Any) -> None:
    assert signed_in(member).get("/accounts/me/").status_code == 200


@pytest.mark.parametrize("who", ["site_coordinator", "regional_coordinator"])
def test_it_sends_a_coordinator_without_one_to_enrol_first(who: str, request: Any) -> None:
    user = request.getfixturevalue(who)
    client = signed_in(user)
    response = client.get("/directory/")
    assert response.status_code == 302 and response["Location"].startswith("/security/?next=")
    page = client.get("/security/")
    assert page.status_code == 200 and b'id="must-enrol"' in page.content


def test_it_requires_it_of_admins_of_a_coalition_that_asks(places: Any, member: Any) -> None:
    coalition = directory_services.organization_create(
        user=member, name="Oregon Housing Coalition", kind="coalition", home_place=places["oregon"]
    )
    client = signed_in(member)
    assert client.get("/directory/").status_code == 200
    # Turning the rule on needs a second factor of one's own first.
    client.post(f"/security/coalitions/{coalition.slug}/", {"required": "on"})
    assert not CoalitionSecurity.objects.filter(admins_need_second_factor=True).exists()

    device = app_for(member)
    client = signed_in(member)
    client.post("/security/verify/", {"token": code_of(device)})
    client.post(f"/security/coalitions/{coalition.slug}/", {"required": "on"})
    assert CoalitionSecurity.objects.get(organization=coalition).admins_need_second_factor
    assert AuditEvent.objects.filter(action="security.coalition_second_factor_set").exists()

    # Now the last factor cannot go, and without one the admin is sent to enrol.
    client.post("/security/remove/", {"device": device.persistent_id})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    device.delete()
    assert signed_in(member).get("/directory/")["Location"].startswith("/security/?next=")


def test_it_refuses_the_rule_to_someone_who_is_not_the_coalitions_admin(
    places: Any, member: Any, outsider: Any
) -> None:
    coalition = directory_services.organization_create(
        user=member, name="Oregon Housing Coalition", kind="coalition", home_place=places["oregon"]
    )
    client = signed_in(outsider)
    response = client.post(f"/security/coalitions/{coalition.slug}/", {"required": "on"})
    assert response.status_code == 403
    assert not CoalitionSecurity.objects.exists()


def test_it_sets_up_an_authenticator_app_with_a_code_and_audits_it(member: Any) -> None:
    client = signed_in(member)
    page = client.get("/security/app/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    bad = client.post("/security/app/", {"device": device.pk, "token": "123456"})
    assert bad.status_code == 200
    good = client.post("/security/app/", {"device": device.pk, "token": code_of(device)})
    assert good.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="security.second_factor_added").count() == 1
    # This session counts as confirmed (the person just proved they hold the app).
    assert client.get("/accounts/me/").status_code == 200

    codes = client.post("/security/recovery-codes/")
    assert codes.status_code == 200
    assert StaticDevice.objects.get(user=member).token_set.count() == 10

    client.post("/security/remove/", {"device": device.persistent_id})
    assert not TOTPDevice.objects.filter(user=member).exists()
    # Recovery codes alone are no second factor: they go with the last one.
    assert not StaticDevice.objects.filter(user=member).exists()
    assert AuditEvent.objects.filter(action="security.second_factor_removed").count() == 1


def test_it_lets_no_one_with_only_the_password_change_the_factors(member: Any) -> None:
    device = app_for(member)
    client = signed_in(member)
    assert client.get("/security/app/")["Location"].startswith("/security/verify/")
    client.post("/security/remove/", {"device": device.persistent_id})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    begin = client.post("/security/webauthn/registration/begin/")
    assert begin.status_code == 403


def test_it_refuses_the_wrong_method(member: Any) -> None:
    client = signed_in(member)
    assert client.get("/security/remove/").status_code == 405
    assert client.post("/security/").status_code == 405
