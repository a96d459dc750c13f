from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from directory.models import IssueArea, IssueAreaOrigin, Organization, PrivateContact
from directory.services import issue_mask_of
from places.geocoder import reset_geocoder
from sources.models import Origin
from sources.selectors import listing_field_sources
from sources.services import field_set, import_file

CSV = (
    "Group,Town,State,Site,Email,About\n"
    "Oakland Tenants Union,Oakland,CA,oaklandtenants.example.org,hello@otu.example.org,Renters\n"
)


@pytest.fixture
def imported(tmp_path: Path, places) -> Organization:  # type: ignore[no-untyped-def]
    reset_geocoder()
    path = tmp_path / "groups.csv"
    path.write_text(CSV, encoding="utf-8")
    import_file(user=None, path=path, source_name="Bay Area List 2020-04-02")
    reset_geocoder()
    return Organization.objects.get(name="Oakland Tenants Union")


def _page(client: Client, org: Organization) -> str:
    """The organization's page as a visitor reads it: runs of whitespace as one space."""
    return " ".join(client.get(reverse("organization", args=[org.slug])).content.decode().split())


def test_it_shows_where_each_field_came_from(
    client: Client, imported: Organization, organizer, site_coordinator, places
) -> None:
    org = imported
    field_set(
        organization=org,
        field="description",
        value="Renters organizing in Oakland.",
        origin=Origin.CLAIM,
        by=organizer,
    )
    field_set(
        organization=org,
        field="home_place",
        value=places["berkeley"],
        origin=Origin.COORDINATOR,
        by=site_coordinator,
    )
    html = _page(client, org)
    assert "Where this listing's information comes from" in html
    assert "Website — Bay Area List 2020-04-02, record 1, imported" in html
    assert "Description — the group itself," in html
    assert "(Bay Area List 2020-04-02 said something different)" in html
    assert "Home place — corrected by a coordinator," in html
    # Who recorded a field is never shown.
    assert organizer.email not in html and site_coordinator.email not in html

    housing = IssueArea.objects.get(slug="housing")
    org.issue_areas.set([housing])
    Organization.objects.filter(pk=org.pk).update(
        issue_mask=issue_mask_of([housing]), issue_areas_origin=IssueAreaOrigin.AUTO
    )
    assert "Issue areas — suggested automatically" in _page(client, org)


def test_it_never_shows_a_private_contact_email(
    client: Client, imported: Organization, organizer
) -> None:
    org = imported
    PrivateContact.objects.create(organization=org, email="secret@otu.example.org")
    # The group takes its public email off the listing: the imported one must not resurface.
    field_set(organization=org, field="public_email", value="", origin=Origin.CLAIM, by=organizer)
    org.refresh_from_db()
    assert org.public_email == ""
    html = _page(client, org)
    assert "Website — Bay Area List 2020-04-02" in html
    assert "secret@otu.example.org" not in html
    assert "hello@otu.example.org" not in html
    assert "Email —" not in html


def test_it_reads_the_provenance_in_one_query(
    imported: Organization, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        lines = listing_field_sources(imported)
    assert [line.field for line in lines][:2] == ["name", "description"]
    origins = {line.field: line.origin for line in lines}
    assert origins["name"] == origins["website"] == origins["public_email"] == Origin.IMPORT
