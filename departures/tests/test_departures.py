"""A group's admins download everything it owns and can leave the hub."""

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from commonweal.tests.listings import PRIVATE_EMAIL, make_listings
from directory.models import Organization, OrganizationAdmin
from solidarity.models import Kind, Pledge, SupportRequest

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password


@pytest.fixture
def orgs(places: dict[str, Any], organizer: Any) -> dict[str, Organization]:
    orgs = make_listings(places, organizer)
    need = SupportRequest.objects.create(
        organization=orgs["tenants"], title='=HYPERLINK("http://evil")', kind=Kind.MONEY
    )
    Pledge.objects.create(
        request=need,
        organization=orgs["transit"],
        amount=Decimal(50),
        contact_name="Their person",
        contact_email="their-person@example.org",
    )
    return orgs


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _export(client: Client, slug: str) -> dict[str, str]:
    response = client.post(reverse("departures:export", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name.split("/", 1)[1]: archive.read(name).decode() for name in archive.namelist()}


def test_it_gives_an_admin_everything_the_group_owns(orgs: Any, organizer: Any) -> None:
    files = _export(_client(organizer), "portland-tenants-union")
    assert {"listing.json", "admins.csv", "commitments.csv", "requests.csv", "pledges.csv"} <= set(
        files
    )
    assert "Portland Tenants Union" in files["listing.json"]
    assert PRIVATE_EMAIL in files["listing.json"]  # its own private contact is its own
    assert "organizer@example.org" in files["admins.csv"]
    assert "Oregon Housing Coalition" in files["coalitions.csv"]
    assert AuditEvent.objects.filter(
        action="organization.exported", target_id=str(orgs["tenants"].pk)
    ).exists()


def test_it_neutralises_formulas_in_the_tables(orgs: Any, organizer: Any) -> None:
    files = _export(_client(organizer), "portland-tenants-union")
    assert "'=HYPERLINK" in files["requests.csv"]
    assert "\n=HYPERLINK" not in files["requests.csv"]


def test_it_leaves_out_other_groups_contact(orgs: Any, organizer: Any) -> None:
    files = _export(_client(organizer), "portland-tenants-union")
    assert "Seattle Transit Riders" in files["pledges.csv"]
    assert "their-person@example.org" not in "".join(files.values())
    assert "Their person" not in "".join(files.values())


def test_it_refuses_an_outsider_and_a_get(orgs: Any, outsider: Any, organizer: Any) -> None:
    url = reverse("departures:export", args=["portland-tenants-union"])
    assert _client(outsider).post(url).status_code == 403
    assert (
        _client(outsider)
        .get(reverse("departures:organization", args=["portland-tenants-union"]))
        .status_code
        == 403
    )
    assert _client(organizer).get(url).status_code == 405
    leave = reverse("departures:leave", args=["portland-tenants-union"])
    assert _client(outsider).post(leave, {"confirm": "on"}).status_code == 403
    assert not Organization.objects.get(slug="portland-tenants-union").is_hidden
    assert Client().post(url).status_code == 302  # to sign in


def test_it_shows_the_page_to_an_admin(orgs: Any, organizer: Any) -> None:
    response = _client(organizer).get(
        reverse("departures:organization", args=["portland-tenants-union"])
    )
    assert response.status_code == 200
    assert b"Download our data" in response.content and b"Leave the hub" in response.content


def test_it_asks_for_confirmation_before_leaving(orgs: Any, organizer: Any) -> None:
    response = _client(organizer).post(
        reverse("departures:leave", args=["portland-tenants-union"]), {}
    )
    assert response.status_code == 400
    assert OrganizationAdmin.objects.filter(organization=orgs["tenants"]).exists()


def test_it_hides_the_listing_and_ends_every_admin_role_when_the_group_leaves(
    orgs: Any, organizer: Any, member: Any
) -> None:
    OrganizationAdmin.objects.create(organization=orgs["tenants"], user=member)
    response = _client(organizer).post(
        reverse("departures:leave", args=["portland-tenants-union"]), {"confirm": "on"}
    )
    assert response.status_code == 302
    tenants = Organization.objects.get(pk=orgs["tenants"].pk)
    assert tenants.is_hidden
    assert not OrganizationAdmin.objects.filter(organization=tenants).exists()
    event = AuditEvent.objects.get(action="organization.left_hub")
    assert event.actor == organizer and sorted(event.data["admins_removed"]) == [
        "Member",
        "Organizer",
    ]
    # Nobody acts for it any more, so nobody can take its data out again.
    assert _client(organizer).post(
        reverse("departures:export", args=[tenants.slug])
    ).status_code in (403, 404)
