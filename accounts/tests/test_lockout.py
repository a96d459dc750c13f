"""Guessing passwords: the account locks, its owner is told and can unlock it, and one address
cannot try its luck against many accounts."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared fixtures' test password
ATTACKER = "203.0.113.9"


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    # The limits cache is a table of its own, outside what a test rolls back.
    caches["limits"].clear()
    yield
    caches["limits"].clear()


def sign_in(email: str, password: str, *, address: str = ATTACKER, agent: str = "curl/8") -> Any:
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def unlock_link(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/unlock/\S+)", str(message.body))
    assert found is not None
    return found.group(1)


class TestLockout:
    def test_twenty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(
        self, member: User
    ) -> None:
        for attempt in range(1, 20):
            response = sign_in(member.email, f"guess-{attempt}")
            assert response.status_code == 200
            assert "locked" not in response.content.decode()
        twentieth = sign_in(member.email, "guess-20")
        assert twentieth.status_code == 429
        assert "This account is locked" in twentieth.content.decode()

        right = sign_in(member.email, PASSWORD)
        assert not signed_in(right)
        assert right.status_code == 429
        assert "This account is locked" in right.content.decode()

    def test_the_owner_is_mailed_once_with_a_link_that_unlocks(self, member: User) -> None:
        for attempt in range(25):
            sign_in(member.email, f"guess-{attempt}")
        [message] = mail.outbox
        assert message.to == [member.email]
        assert "locked" in str(message.subject)
        assert ATTACKER in str(message.body)
        assert AuditEvent.objects.filter(action="user.locked_out", target_id=member.pk).count() == 1

        owner = Client(REMOTE_ADDR="198.51.100.7")
        link = unlock_link(message)
        # Opening the link (as a mail scanner would) changes nothing; the button does.
        assert "Unlock my account" in owner.get(link).content.decode()
        assert not signed_in(sign_in(member.email, PASSWORD, address="198.51.100.7"))
        assert owner.post(link)["Location"] == reverse("accounts:login")
        assert signed_in(sign_in(member.email, PASSWORD, address="198.51.100.7"))
        assert AuditEvent.objects.filter(action="user.unlocked", target_id=member.pk).exists()

    def test_the_lock_holds_from_any_address(self, member: User) -> None:
        for attempt in range(20):
            sign_in(member.email, f"guess-{attempt}", address=f"203.0.113.{attempt + 10}")
        elsewhere = sign_in(member.email, PASSWORD, address="192.0.2.44", agent="Firefox")
        assert not signed_in(elsewhere)
        assert "This account is locked" in elsewhere.content.decode()

    def test_capitals_and_spaces_in_the_email_count_as_the_same_account(self, member: User) -> None:
        spellings = ["MEMBER@example.org", " member@EXAMPLE.org ", "Member@Example.Org"]
        for attempt in range(20):
            sign_in(spellings[attempt % 3], f"guess-{attempt}")
        assert not signed_in(sign_in(member.email, PASSWORD))
        assert not signed_in(sign_in("  MEMBER@EXAMPLE.ORG", PASSWORD))

    def test_an_address_without_an_account_reads_the_same_and_mails_nobody(self) -> None:
        for attempt in range(20):
            last = sign_in("nobody@example.org", f"guess-{attempt}")
        assert "This account is locked" in last.content.decode()
        assert mail.outbox == []

    def test_a_new_password_lifts_the_lock(self, client: Client, member: User) -> None:
        for attempt in range(20):
            sign_in(member.email, f"guess-{attempt}")
        mail.outbox.clear()
        client.post(reverse("accounts:password_reset"), {"email": member.email})
        [message] = mail.outbox
        link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", str(message.body))
        assert link is not None
        form_page = client.get(link.group(1), follow=True)
        client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        )
        assert signed_in(sign_in(member.email, "a brand new passphrase"))

    def test_a_good_sign_in_clears_earlier_failures(self, member: User) -> None:
        for attempt in range(15):
            sign_in(member.email, f"guess-{attempt}")
        assert signed_in(sign_in(member.email, PASSWORD))
        for attempt in range(15):
            sign_in(member.email, f"again-{attempt}")
        assert signed_in(sign_in(member.email, PASSWORD))


class TestAddressLimit:
    def test_one_address_trying_many_accounts_is_stopped(self, member: User) -> None:
        others = [User.objects.create_user(f"p{i}@example.org", PASSWORD) for i in range(5)]
        for i in range(50):
            sign_in(others[i % 5].email, f"guess-{i}")
        # No single account reached its lock (10 tries each), but the address did.
        refused = sign_in(member.email, PASSWORD)
        assert not signed_in(refused)
        assert refused.status_code == 429
        assert mail.outbox == []
        assert "Too many failed sign-ins have come from your network" in refused.content.decode()
        # Someone else, elsewhere, is not affected.
        assert signed_in(sign_in(member.email, PASSWORD, address="192.0.2.1"))


class TestSigninRecords:
    def test_sign_ins_and_failures_are_in_the_audit_log_without_the_password(
        self, member: User
    ) -> None:
        sign_in(member.email, "wrong-secret-typed", agent="Mozilla/5.0 Test")
        sign_in("stranger@example.org", "another-secret-typed")
        assert signed_in(sign_in(member.email, PASSWORD, agent="Mozilla/5.0 Test"))

        failed = AuditEvent.objects.filter(action="user.signin_failed").order_by("pk")
        assert [(e.target_id, e.data["email"]) for e in failed] == [
            (str(member.pk), member.email),
            ("", "stranger@example.org"),
        ]
        first = failed[0].data
        assert (first["address"], first["user_agent"]) == (ATTACKER, "Mozilla/5.0 Test")
        ok = AuditEvent.objects.get(action="user.signed_in")
        assert (ok.actor, ok.target_id, ok.data["address"]) == (member, str(member.pk), ATTACKER)
        everything = " ".join(str(e.data) for e in AuditEvent.objects.all())
        assert "secret-typed" not in everything
        assert PASSWORD not in everything


def test_a_test_client_login_without_a_request_still_works(member: User) -> None:
    # Tests sign people in with Client.login, which passes no request to the backends.
    assert Client().login(username=member.email, password=PASSWORD)
