"""Claiming a listing by mailed link or a coordinator's approval; the group's word then wins."""

import time
from pathlib import Path
from unittest import mock

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from directory.models import (
    IssueAreaOrigin,
    Organization,
    OrganizationAdmin,
    OrganizationStatus,
)
from outreach import services
from outreach.models import ClaimLink, ClaimRequest, ClaimStatus


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def _link_from(mail: object) -> str:
    body = mail.body  # type: ignore[attr-defined]
    return next(line for line in body.splitlines() if "/outreach/claim/confirm/" in line).strip()


class TestSignedLink:
    def test_it_mails_the_held_address_without_showing_it(
        self, client: Client, found: Organization, member: User, mailoutbox: list
    ) -> None:
        page = client.get(reverse("outreach:claim", args=[found.slug]))
        assert b"the address we hold for this group" in page.content
        assert b"rosecity.example.org" not in page.content
        _login(client, member)
        response = client.post(reverse("outreach:claim", args=[found.slug]), {"action": "link"})
        assert response.status_code == 302
        assert [m.to for m in mailoutbox] == [["hello@rosecity.example.org"]]
        org_page = client.get(reverse("organization", args=[found.slug]))
        assert b"rosecity.example.org" not in org_page.content

    def test_it_makes_whoever_follows_the_link_an_admin(
        self, client: Client, found: Organization, member: User, organizer: User, mailoutbox: list
    ) -> None:
        services.claim_link_send(user=member, organization=found, base_url="http://hub.test")
        url = _link_from(mailoutbox[0]).removeprefix("http://hub.test")
        _login(client, organizer)
        assert client.get(url).status_code == 200
        response = client.post(url)
        assert response.status_code == 302
        found.refresh_from_db()
        assert found.claimed_at is not None
        assert OrganizationAdmin.objects.filter(organization=found, user=organizer).exists()
        assert client.post(url).status_code == 400  # used once only

    def test_it_refuses_a_tampered_link(
        self, client: Client, found: Organization, member: User
    ) -> None:
        link = ClaimLink.objects.create(organization=found, requested_by=member)
        token = services.claim_token(link)
        forged = signing.dumps({"link": link.pk, "org": found.pk + 1}, salt="elsewhere")
        _login(client, member)
        for bad in (token[:-2] + "xx", forged):
            response = client.post(reverse("outreach:claim_confirm", args=[bad]))
            assert response.status_code == 400
        assert not OrganizationAdmin.objects.filter(organization=found).exists()

    def test_it_refuses_an_expired_link(self, found: Organization, member: User) -> None:
        link = ClaimLink.objects.create(organization=found, requested_by=member)
        token = services.claim_token(link)
        later = time.time() + services.CLAIM_LINK_MAX_AGE.total_seconds() + 60
        with (
            mock.patch("django.core.signing.time.time", return_value=later),
            pytest.raises(ValidationError, match="expired"),
        ):
            services.claim_link_use(user=member, token=token)

    def test_it_sends_to_people_who_are_signed_in_only(
        self, client: Client, found: Organization, mailoutbox: list
    ) -> None:
        response = client.post(reverse("outreach:claim", args=[found.slug]), {"action": "link"})
        assert response.status_code == 302
        assert "login" in response["Location"]
        assert mailoutbox == []

    def test_it_does_not_flood_a_groups_inbox(
        self, found: Organization, member: User, mailoutbox: list
    ) -> None:
        services.claim_link_send(user=member, organization=found, base_url="http://hub.test")
        with pytest.raises(ValidationError):
            services.claim_link_send(user=member, organization=found, base_url="http://hub.test")
        assert len(mailoutbox) == 1

    def test_it_refuses_the_wrong_method(self, client: Client, found: Organization) -> None:
        response = client.put(reverse("outreach:claim", args=[found.slug]))
        assert response.status_code == 405


class TestRequests:
    def test_it_lets_the_regional_coordinator_approve(
        self, client: Client, found: Organization, member: User, regional_coordinator: User
    ) -> None:
        _login(client, member)
        client.post(
            reverse("outreach:claim", args=[found.slug]),
            {"action": "request", "message": "I chair the group."},
        )
        claim = ClaimRequest.objects.get(organization=found)
        _login(client, regional_coordinator)
        queue = client.get(reverse("outreach:claims"))
        assert b"I chair the group." in queue.content
        client.post(reverse("outreach:claim_decide", args=[claim.pk]), {"decision": "approve"})
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.APPROVED
        assert OrganizationAdmin.objects.filter(organization=found, user=member).exists()

    def test_it_refuses_coordinators_of_other_places_and_outsiders(
        self,
        client: Client,
        faraway: Organization,
        member: User,
        regional_coordinator: User,
        outsider: User,
    ) -> None:
        claim = services.claim_request_create(user=member, organization=faraway, message="")
        for person in (regional_coordinator, outsider):
            with pytest.raises(PermissionDenied):
                services.claim_request_decide(user=person, claim=claim, approve=True)
        _login(client, outsider)
        assert client.get(reverse("outreach:claims")).status_code == 403
        response = client.post(
            reverse("outreach:claim_decide", args=[claim.pk]), {"decision": "approve"}
        )
        assert response.status_code == 403
        _login(client, regional_coordinator)
        assert b"Bronx Food Share" not in client.get(reverse("outreach:claims")).content

    def test_it_lets_a_site_coordinator_decline(
        self, faraway: Organization, member: User, site_coordinator: User
    ) -> None:
        claim = services.claim_request_create(user=member, organization=faraway, message="")
        services.claim_request_decide(user=site_coordinator, claim=claim, approve=False)
        assert not OrganizationAdmin.objects.filter(organization=faraway).exists()


class TestTheGroupsWord:
    def _claimed(self, org: Organization, user: User) -> Organization:
        link = ClaimLink.objects.create(organization=org, requested_by=user)
        return services.claim_link_use(user=user, token=services.claim_token(link))

    def test_it_keeps_claimed_fields_through_a_reimport(
        self, tmp_path: Path, member: User, only_tagging_after_import: None
    ) -> None:
        from sources.services import import_file

        path = tmp_path / "list.csv"
        path.write_text(
            "Name,City,State,Website,Description\n"
            "Rose City Tenants,Portland,OR,old.example.org,Renters against evictions.\n",
            encoding="utf-8",
        )
        import_file(user=None, path=path, source_name="list")
        org = Organization.objects.get(name="Rose City Tenants")
        org = self._claimed(org, member)
        services.claimed_listing_update(
            user=member,
            organization=org,
            listing={"website": "https://rosecity.example.org/", "issue_areas": ["peace"]},
        )
        path.write_text(
            "Name,City,State,Website,Description\n"
            "Rose City Tenants,Portland,OR,old.example.org,Renters and food.\n",
            encoding="utf-8",
        )
        import_file(user=None, path=path, source_name="list")
        org.refresh_from_db()
        assert org.website == "https://rosecity.example.org/"
        assert org.description == "Renters and food."  # not claimed: the import still updates it
        assert {a.slug for a in org.issue_areas.all()} == {"peace"}
        assert org.issue_areas_origin == IssueAreaOrigin.COORDINATOR

    def test_it_records_edits_from_the_page_as_the_groups_word(
        self, client: Client, found: Organization, member: User
    ) -> None:
        from sources.models import FieldProvenance

        self._claimed(found, member)
        _login(client, member)
        url = reverse("outreach:listing_edit", args=[found.slug])
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {
                "name": "Rose City Tenants Union",
                "kind": "local_group",
                "status": "active",
                "home_place": "portland",
                "description": "Renters.",
                "website": "https://rosecity.example.org",
            },
        )
        assert response.status_code == 302, response.content
        found.refresh_from_db()
        assert found.name == "Rose City Tenants Union"
        assert FieldProvenance.objects.filter(
            organization=found, field="name", origin="claim", recorded_by=member
        ).exists()

    def test_it_refuses_edits_and_dissolving_by_others(
        self, client: Client, found: Organization, outsider: User
    ) -> None:
        _login(client, outsider)
        assert client.get(reverse("outreach:listing_edit", args=[found.slug])).status_code == 403
        response = client.post(reverse("outreach:dissolve", args=[found.slug]), {"confirm": "on"})
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            services.organization_dissolve(user=outsider, organization=found, confirm=True)

    def test_it_lets_the_group_say_it_no_longer_exists_after_confirming(
        self, client: Client, found: Organization, member: User
    ) -> None:
        self._claimed(found, member)
        _login(client, member)
        url = reverse("outreach:dissolve", args=[found.slug])
        assert client.post(url, {}).status_code == 400
        found.refresh_from_db()
        assert found.status == OrganizationStatus.ACTIVE
        assert client.post(url, {"confirm": "on"}).status_code == 302
        found.refresh_from_db()
        assert found.status == OrganizationStatus.DISSOLVED
        assert b"no longer exists" in client.get(reverse("organization", args=[found.slug])).content


def test_it_tags_organizations_after_an_import(
    tmp_path: Path, only_tagging_after_import: None, django_capture_on_commit_callbacks: object
) -> None:
    from sources.services import import_file

    path = tmp_path / "list.csv"
    path.write_text(
        "Name,City,State,Description\nSellwood Food Bank,Portland,OR,Free groceries.\n",
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        import_file(user=None, path=path, source_name="list")
    org = Organization.objects.get(name="Sellwood Food Bank")
    assert org.issue_areas_origin == IssueAreaOrigin.AUTO
    assert "food" in {a.slug for a in org.issue_areas.all()}


class TestIssueAreaCorrections:
    def test_it_lets_the_regional_coordinator_correct_and_keeps_it_through_retags(
        self, client: Client, found: Organization, regional_coordinator: User
    ) -> None:
        from directory.tagging import organizations_tag

        _login(client, regional_coordinator)
        url = reverse("outreach:issue_areas", args=[found.slug])
        assert b"Correct the issue areas" in client.get(url).content
        response = client.post(url, {"issue_areas": ["labor", "peace"]})
        assert response.status_code == 302
        organizations_tag(method="keywords")
        found.refresh_from_db()
        assert {a.slug for a in found.issue_areas.all()} == {"labor", "peace"}
        assert found.issue_areas_origin == IssueAreaOrigin.COORDINATOR

    def test_it_refuses_outsiders_and_unknown_areas(
        self, client: Client, found: Organization, outsider: User, regional_coordinator: User
    ) -> None:
        url = reverse("outreach:issue_areas", args=[found.slug])
        _login(client, outsider)
        assert client.get(url).status_code == 403
        assert client.post(url, {"issue_areas": ["labor"]}).status_code == 403
        _login(client, regional_coordinator)
        assert client.post(url, {"issue_areas": ["no-such-area"]}).status_code == 400
