"""A listing that has admins changes hands only with their consent (or a site coordinator's,
with a reason on record); claim links keep working when mail does not."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User
from commonweal.tests.smtpsink import HOLD, free_port, relay_to
from directory import services as directory_services
from directory.models import Organization, OrganizationAdmin
from outbox.models import MessageState, OutboxMessage
from outreach import services
from outreach.models import ClaimLink, ClaimRequest, ClaimStatus

pytestmark = pytest.mark.django_db


def _is_admin(org: Organization, user: User) -> bool:
    return OrganizationAdmin.objects.filter(organization=org, user=user).exists()


class TestClaimsOverExistingAdmins:
    def test_a_coordinator_cannot_hand_an_administered_listing_to_an_outsider(
        self, administered: Organization, outsider: User, regional_coordinator: User
    ) -> None:
        claim = services.claim_request_create(user=outsider, organization=administered, message="")
        with pytest.raises(PermissionDenied):
            services.claim_request_decide(user=regional_coordinator, claim=claim, approve=True)
        assert not _is_admin(administered, outsider)

    def test_the_admins_are_told_and_accept_in_their_page(
        self,
        client: Client,
        administered: Organization,
        outsider: User,
        organizer: User,
        mailoutbox: list,
    ) -> None:
        client.force_login(outsider)
        client.post(
            reverse("outreach:claim", args=[administered.slug]),
            {"action": "request", "message": "I run the Tuesday pantry."},
        )
        assert [m.to for m in mailoutbox] == [[organizer.email]]
        assert reverse("outreach:requests") in mailoutbox[0].body
        claim = ClaimRequest.objects.get(organization=administered)
        client.force_login(organizer)
        org_page = client.get(reverse("organization", args=[administered.slug]))
        assert reverse("outreach:requests").encode() in org_page.content
        page = client.get(reverse("outreach:requests"))
        assert b"I run the Tuesday pantry." in page.content
        response = client.post(
            reverse("outreach:claim_decide", args=[claim.pk]), {"decision": "approve"}
        )
        assert response["Location"] == reverse("outreach:requests")
        assert _is_admin(administered, outsider)
        assert mailoutbox[-1].to == [outsider.email]
        assert "accepted" in mailoutbox[-1].body
        event = AuditEvent.objects.get(action="claim.approve")
        assert (event.actor, event.data["as"]) == (organizer, "admin")

    def test_an_admin_may_decline_and_others_may_not_decide(
        self, administered: Organization, outsider: User, organizer: User, member: User
    ) -> None:
        claim = services.claim_request_create(user=outsider, organization=administered, message="")
        with pytest.raises(PermissionDenied):
            services.claim_request_decide(user=member, claim=claim, approve=True)
        services.claim_request_decide(user=organizer, claim=claim, approve=False)
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.REJECTED and not _is_admin(administered, outsider)

    def test_a_site_coordinator_overrides_only_with_a_reason_on_record(
        self, administered: Organization, outsider: User, site_coordinator: User
    ) -> None:
        claim = services.claim_request_create(user=outsider, organization=administered, message="")
        with pytest.raises(ValidationError, match="reason"):
            services.claim_request_decide(user=site_coordinator, claim=claim, approve=True)
        services.claim_request_decide(
            user=site_coordinator,
            claim=claim,
            approve=True,
            reason="The only admin left the group in 2024 and does not answer.",
        )
        assert _is_admin(administered, outsider)
        event = AuditEvent.objects.get(action="claim.approve")
        assert event.data["as"] == "site_coordinator"
        assert "left the group" in event.data["reason"]

    def test_the_coordinators_queue_shows_it_waits_for_the_admins(
        self,
        client: Client,
        administered: Organization,
        outsider: User,
        regional_coordinator: User,
    ) -> None:
        services.claim_request_create(user=outsider, organization=administered, message="")
        client.force_login(regional_coordinator)
        page = client.get(reverse("outreach:claims")).content
        assert b"Waiting for the group's admins" in page
        assert b'value="approve"' not in page

    def test_no_link_is_mailed_for_an_administered_listing(
        self, administered: Organization, outsider: User, member: User, mailoutbox: list
    ) -> None:
        with pytest.raises(ValidationError, match="admins"):
            services.claim_link_send(
                user=outsider, organization=administered, base_url="http://hub.test"
            )
        assert mailoutbox == []

    def test_a_link_sent_before_the_listing_was_claimed_no_longer_works(
        self, found: Organization, outsider: User, organizer: User
    ) -> None:
        link = ClaimLink.objects.create(organization=found, requested_by=outsider)
        OrganizationAdmin.objects.create(organization=found, user=organizer)
        with pytest.raises(ValidationError, match="admins"):
            services.claim_link_use(user=outsider, token=services.claim_token(link))
        assert not _is_admin(found, outsider)

    def test_the_requests_page_needs_a_signed_in_person_and_get(
        self, client: Client, outsider: User
    ) -> None:
        assert client.get(reverse("outreach:requests")).status_code == 302
        client.force_login(outsider)
        page = client.get(reverse("outreach:requests"))
        assert page.status_code == 200 and b"No one is asking" in page.content
        assert client.post(reverse("outreach:requests")).status_code == 405


class TestClaimLinksWhenMailIsDown:
    # As in production: the request's transaction commits before the page answers.
    pytestmark = pytest.mark.django_db(transaction=True)

    def test_a_dead_mail_server_gives_an_honest_page_and_the_cool_down_holds(
        self, client: Client, found: Organization, member: User, settings: Any, tmp_path: Any
    ) -> None:
        settings.MAILERS = relay_to(free_port())
        settings.OUTBOX_DIR = tmp_path
        client.force_login(member)
        url = reverse("outreach:claim", args=[found.slug])
        response = client.post(url, {"action": "link"}, follow=True)
        assert response.status_code == 200
        assert b"has not taken the message yet" in response.content
        assert b"We have mailed a link" not in response.content
        link = ClaimLink.objects.get(organization=found)
        assert link.message is not None and link.message.state == MessageState.RETRYING
        again = client.post(url, {"action": "link"})
        assert again.status_code == 400
        assert b"a few minutes ago" in again.content
        assert ClaimLink.objects.count() == 1

    def test_without_a_mail_server_the_link_waits_in_the_outbox(
        self, client: Client, found: Organization, member: User, settings: Any, tmp_path: Any
    ) -> None:
        settings.MAILERS = HOLD
        settings.OUTBOX_DIR = tmp_path
        client.force_login(member)
        response = client.post(
            reverse("outreach:claim", args=[found.slug]), {"action": "link"}, follow=True
        )
        assert b"not sending email yet" in response.content
        assert OutboxMessage.objects.get().state == MessageState.HELD

    def test_with_no_address_it_offers_the_coordinator_route(
        self, client: Client, places: Any, member: User
    ) -> None:
        bare = directory_services.organization_create(
            user=None, name="No Mail Collective", home_place=places["portland"], as_admin=False
        )
        client.force_login(member)
        url = reverse("outreach:claim", args=[bare.slug])
        page = client.get(url).content
        assert b"Mail the link" not in page and b'href="#by-coordinator"' in page
        response = client.post(url, {"action": "link"})
        assert response.status_code == 400
        assert b"Ask the coordinators" in response.content
