"""Signing up, in and out by email, resetting a password, and the person's own page."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, RegionalCoordinator, User
from directory.models import Organization, OrganizationAdmin

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared fixtures' test password


def signup(client: Client, **overrides: str) -> Any:
    data = {"email": "Ada@Example.org", "display_name": "Ada", "password": "correct horse battery"}
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data)


class TestSignup:
    def test_it_creates_the_account_and_signs_the_person_in(self, client: Client) -> None:
        response = signup(client)
        assert response.status_code == 302 and response["Location"] == reverse("accounts:me")
        user = User.objects.get()
        assert user.email == "ada@example.org" and user.display_name == "Ada"
        assert user.check_password("correct horse battery")
        assert client.get(reverse("accounts:me")).status_code == 200
        assert AuditEvent.objects.filter(action="user.signup", target_id=str(user.pk)).exists()

    def test_it_shows_a_labelled_form(self, client: Client) -> None:
        body = client.get(reverse("accounts:signup")).content.decode()
        for field in ("id_email", "id_display_name", "id_password"):
            assert f'for="{field}"' in body

    def test_it_refuses_an_email_already_in_use_whatever_its_case(
        self, client: Client, member: User
    ) -> None:
        response = signup(client, email="MEMBER@example.org")
        assert response.status_code == 200
        assert "email" in response.context["form"].errors
        assert User.objects.count() == 1

    def test_it_refuses_weak_passwords(self, client: Client) -> None:
        response = signup(client, password="12345678")  # noqa: S106
        assert "password" in response.context["form"].errors
        assert not User.objects.exists()

    def test_it_refuses_a_password_that_is_the_email(self, client: Client) -> None:
        response = signup(client, email="longname@example.org", password="longname@example.org")  # noqa: S106
        assert "password" in response.context["form"].errors

    def test_it_only_follows_safe_next_addresses(self, client: Client) -> None:
        assert signup(client, next="https://evil.example/")["Location"] == reverse("accounts:me")
        other = Client()
        response = signup(other, email="b@example.org", next="/directory/")
        assert response["Location"] == "/directory/"

    def test_it_refuses_other_methods(self, client: Client) -> None:
        assert client.put(reverse("accounts:signup")).status_code == 405


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
