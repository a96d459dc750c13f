"""Signing up, in and out by email, resetting a password, and the person's own page."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, RegionalCoordinator, User
from commonweal.tests.smtpsink import HOLD, free_port, relay_to, running_sink
from directory.models import Organization, OrganizationAdmin

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared fixtures' test password


def signup(client: Client, **overrides: str) -> Any:
    data = {"email": "Ada@Example.org", "display_name": "Ada", "password": "correct horse battery"}
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data)


def confirm_link(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/confirm/\S+)", str(message.body))
    assert found is not None
    return found.group(1)


class TestSignup:
    def test_it_mails_a_link_that_creates_the_account_and_signs_the_person_in(
        self, client: Client
    ) -> None:
        response = signup(client)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:signup_sent")
        user = User.objects.get()
        assert (user.email, user.display_name, user.is_active) == ("ada@example.org", "Ada", False)
        assert client.get(reverse("accounts:me")).status_code == 302  # not signed in yet
        [message] = mail.outbox
        assert message.to == ["ada@example.org"]
        link = confirm_link(message)
        assert client.get(link).status_code == 200
        assert client.post(link)["Location"] == reverse("accounts:me")
        user.refresh_from_db()
        assert user.is_active and user.check_password("correct horse battery")
        assert client.get(reverse("accounts:me")).status_code == 200
        assert AuditEvent.objects.filter(action="user.signup", target_id=str(user.pk)).exists()
        client.logout()
        assert client.post(link).status_code == 400  # the link works once

    def test_it_shows_a_labelled_form(self, client: Client) -> None:
        body = client.get(reverse("accounts:signup")).content.decode()
        for field in ("id_email", "id_display_name", "id_password"):
            assert f'for="{field}"' in body

    def test_it_answers_the_same_whether_or_not_the_address_has_an_account(
        self, client: Client, member: User
    ) -> None:
        new = signup(client, email="newcomer@example.org")
        taken = signup(Client(), email="MEMBER@example.org")
        assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
        page_new = client.get(new["Location"]).content.decode()
        page_taken = Client().get(taken["Location"]).content.decode()
        assert "already" not in page_taken
        assert User.objects.filter(email__iexact="member@example.org").count() == 1
        member.refresh_from_db()
        assert member.check_password(PASSWORD) and member.display_name == "Member"
        owner_mail = next(m for m in mail.outbox if m.to == ["member@example.org"])
        assert "already have an account" in str(owner_mail.body)
        assert reverse("accounts:password_reset") in str(owner_mail.body)
        assert "Check your email" in page_new

    def test_it_does_not_flood_an_inbox(self, client: Client, member: User) -> None:
        for _ in range(3):
            signup(client, email=member.email)
            signup(client, email="newcomer@example.org")
        assert sorted(m.to[0] for m in mail.outbox) == [member.email, "newcomer@example.org"]

    def test_a_later_sign_up_replaces_a_pending_one_and_its_link(self, client: Client) -> None:
        signup(client, password="first horse battery")  # noqa: S106
        first = confirm_link(mail.outbox[0])
        AuditEvent.objects.update(created_at=timezone.now() - timedelta(hours=1))
        signup(client, password="second horse battery")  # noqa: S106
        assert client.post(first).status_code == 400
        client.post(confirm_link(mail.outbox[1]))
        assert User.objects.get().check_password("second horse battery")

    def test_it_refuses_weak_passwords(self, client: Client) -> None:
        response = signup(client, password="12345678")  # noqa: S106
        assert "password" in response.context["form"].errors
        assert not User.objects.exists()

    def test_it_refuses_a_password_that_is_the_email(self, client: Client) -> None:
        response = signup(client, email="longname@example.org", password="longname@example.org")  # noqa: S106
        assert "password" in response.context["form"].errors

    def test_it_only_follows_safe_next_addresses(self, client: Client) -> None:
        signup(client, next="https://evil.example/")
        assert client.post(confirm_link(mail.outbox[0]))["Location"] == reverse("accounts:me")
        other = Client()
        signup(other, email="b@example.org", next="/directory/")
        assert other.post(confirm_link(mail.outbox[1]))["Location"] == "/directory/"

    def test_it_refuses_other_methods(self, client: Client) -> None:
        assert client.put(reverse("accounts:signup")).status_code == 405


class TestSignupWhenMailIsDown:
    # As in production: the sign-up's transaction commits (and the mail is tried) first.
    pytestmark = pytest.mark.django_db(transaction=True)

    def test_without_a_mail_server_it_says_the_link_waits_in_the_outbox(
        self, client: Client, settings: Any, tmp_path: Any
    ) -> None:
        settings.MAILERS, settings.OUTBOX_DIR = HOLD, tmp_path
        page = client.get(signup(client)["Location"]).content.decode()
        assert "not sending email yet" in page and "Check your email" not in page

    def test_with_a_dead_mail_server_it_says_it_keeps_trying(
        self, client: Client, settings: Any, tmp_path: Any
    ) -> None:
        settings.MAILERS, settings.OUTBOX_DIR = relay_to(free_port()), tmp_path
        page = client.get(signup(client)["Location"]).content.decode()
        assert "has not taken the message yet" in page and "Check your email" not in page

    def test_with_a_working_mail_server_it_says_check_your_email(
        self, client: Client, settings: Any, tmp_path: Any
    ) -> None:
        with running_sink() as server:
            settings.MAILERS, settings.OUTBOX_DIR = relay_to(server.port), tmp_path
            page = client.get(signup(client)["Location"]).content.decode()
        assert "Check your email" in page
        assert [m["To"] for m in server.received()] == ["ada@example.org"]


class TestSignInAndOut:
    def test_it_signs_in_by_email_in_any_case(self, client: Client, member: User) -> None:
        response = client.post(
            reverse("accounts:login"), {"username": "Member@Example.ORG", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get(reverse("accounts:me")).context["user"] == member

    def test_it_says_when_the_password_is_wrong(self, client: Client, member: User) -> None:
        response = client.post(
            reverse("accounts:login"), {"username": member.email, "password": "nope"}
        )
        assert response.status_code == 200 and response.context["form"].non_field_errors()

    def test_it_labels_the_field_as_an_email_address(self, client: Client) -> None:
        body = client.get(reverse("accounts:login")).content.decode()
        assert "Email address" in body and 'type="email"' in body

    def test_it_signs_out_with_post_only(self, client: Client, member: User) -> None:
        client.force_login(member)
        assert client.get(reverse("accounts:logout")).status_code == 405
        assert client.post(reverse("accounts:logout")).status_code == 302
        assert client.get(reverse("accounts:me")).status_code == 302


class TestPasswordReset:
    def test_it_mails_a_link_that_sets_a_new_password(self, client: Client, member: User) -> None:
        response = client.post(reverse("accounts:password_reset"), {"email": member.email})
        assert response.status_code == 302
        [message] = mail.outbox
        link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", str(message.body))
        assert link is not None
        form_page = client.get(link.group(1), follow=True)
        assert form_page.status_code == 200 and form_page.context["validlink"]
        done = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
        )
        assert done.status_code == 302
        member.refresh_from_db()
        assert member.check_password("a brand new passphrase")

    def test_it_does_not_say_whether_an_address_has_an_account(self, client: Client) -> None:
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
        assert response.status_code == 302 and mail.outbox == []


class TestMyAccount:
    def test_it_lists_the_persons_organizations_and_roles(
        self, client: Client, places: dict, regional_coordinator: User
    ) -> None:
        org = Organization.objects.create(
            name="Salem Food Co-op", slug="salem-food-co-op", kind="coop"
        )
        OrganizationAdmin.objects.create(organization=org, user=regional_coordinator)
        client.force_login(regional_coordinator)
        body = client.get(reverse("accounts:me")).content.decode()
        assert "Salem Food Co-op" in body
        assert "Regional coordinator of" in body and "Oregon" in body
        assert reverse("outreach:listing_edit", args=[org.slug]) in body

    def test_it_shows_nobody_elses_roles(
        self, client: Client, places: dict, regional_coordinator: User, outsider: User
    ) -> None:
        RegionalCoordinator.objects.get(user=regional_coordinator)
        client.force_login(outsider)
        body = client.get(reverse("accounts:me")).content.decode()
        assert "Regional coordinator of" not in body and "No roles yet" in body

    def test_it_asks_anonymous_visitors_to_sign_in(self, client: Client) -> None:
        response = client.get(reverse("accounts:me"))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]

    def test_it_refuses_other_methods(self, client: Client, member: User) -> None:
        client.force_login(member)
        assert client.post(reverse("accounts:me")).status_code == 405
