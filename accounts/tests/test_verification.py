"""An account acts for a group only once its owner has shown they read mail at its address."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User
from actions.permissions import can_commit
from assemblies.permissions import groups_spoken_for
from directory.models import Organization, OrganizationAdmin

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared fixtures' test password


@pytest.fixture
def unconfirmed(db: None) -> User:
    return User.objects.create_user(
        "new@example.org", PASSWORD, display_name="Newcomer", email_verified_at=None
    )


def verify_link(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/verify/\S+)", str(message.body))
    assert found is not None
    return found.group(1)


def test_a_new_account_is_confirmed_by_its_sign_up_link(client: Client) -> None:
    data = {"email": "ada@example.org", "display_name": "Ada", "password": "correct horse battery"}
    client.post(reverse("accounts:signup"), data)
    assert not User.objects.get(email="ada@example.org").email_verified
    link = re.search(r"https?://[^/\s]+(/accounts/confirm/\S+)", str(mail.outbox[0].body))
    assert link is not None
    client.post(link.group(1))
    assert User.objects.get(email="ada@example.org").email_verified


def test_until_confirmed_the_person_is_told_what_they_cannot_do(
    client: Client, unconfirmed: User
) -> None:
    client.force_login(unconfirmed)
    page = client.get(reverse("accounts:me")).content.decode()
    assert "Confirm your email address" in page
    assert "you cannot add or claim a group" in page
    refused = client.post(
        reverse("directory:organization_add"),
        {"name": "Tenants Together", "kind": "local_group", "status": "active"},
    )
    assert refused.status_code == 403
    assert "Confirm your email address first" in refused.content.decode()
    assert not Organization.objects.filter(name="Tenants Together").exists()


def test_it_cannot_act_as_admin_commit_or_vote_for_a_group(unconfirmed: User) -> None:
    org = Organization.objects.create(name="Tenants", slug="tenants", kind="local_group")
    OrganizationAdmin.objects.create(organization=org, user=unconfirmed)
    assert not can_commit(unconfirmed, org)
    unconfirmed.email_verified_at = unconfirmed.date_joined
    unconfirmed.save()
    assert can_commit(unconfirmed, org)


def test_it_cannot_claim_a_listing(client: Client, unconfirmed: User) -> None:
    org = Organization.objects.create(name="Tenants", slug="tenants", kind="local_group")
    client.force_login(unconfirmed)
    response = client.post(
        reverse("outreach:claim", args=[org.slug]), {"action": "request", "message": "Ours."}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="claim").exists()


def test_the_mailed_link_confirms_the_address(client: Client, unconfirmed: User) -> None:
    client.force_login(unconfirmed)
    client.post(reverse("accounts:verify_send"))
    # Asking again at once does not send a second mail.
    client.post(reverse("accounts:verify_send"))
    [message] = mail.outbox
    assert message.to == [unconfirmed.email]
    link = verify_link(message)
    assert "Confirm my address" in client.get(link).content.decode()
    unconfirmed.refresh_from_db()
    assert not unconfirmed.email_verified
    client.post(link)
    unconfirmed.refresh_from_db()
    assert unconfirmed.email_verified
    added = client.post(
        reverse("directory:organization_add"),
        {"name": "Tenants Together", "kind": "local_group", "status": "active"},
    )
    assert added.status_code == 302
    assert "Confirm your email address" not in client.get(reverse("accounts:me")).content.decode()


def test_a_link_for_an_earlier_address_does_not_confirm_a_new_one(
    client: Client, unconfirmed: User
) -> None:
    client.force_login(unconfirmed)
    client.post(reverse("accounts:verify_send"))
    link = verify_link(mail.outbox[0])
    unconfirmed.email = "changed@example.org"
    unconfirmed.save()
    assert client.post(link).status_code == 400
    unconfirmed.refresh_from_db()
    assert not unconfirmed.email_verified


def test_assembly_votes_are_not_cast_for_groups_by_unconfirmed_admins(unconfirmed: User) -> None:
    # No assembly needed: the person speaks for no group at all while unconfirmed.
    assert groups_spoken_for(unconfirmed, None) == []  # type: ignore[arg-type]
