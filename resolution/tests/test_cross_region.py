"""A regional coordinator acts on duplicates only where they have authority over both sides.

Seen in a security review: a coordinator for Oregon decided "same" on a pair linking a Portland
record to a California organization, and the California organization, with its private
contact, was deleted.
"""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import RegionalCoordinator, User
from directory.models import Organization, PrivateContact
from resolution.models import MatchDecision, ReviewPair, ReviewStatus
from resolution.services import organizations_merge, pair_decide, records_split
from sources.models import FieldProvenance, SourceRecord
from sources.services import import_file

CALIFORNIA_CSV = (
    "Resource,City,State/Territory,Country,General,Social Media\n"
    "Oakland Rose Mutual Aid,Oakland,CA,USA,https://oaklandrose.example.org,\n"
)


@pytest.fixture
def imported(lists: dict[str, Path], geocoder: None, tmp_path: Path) -> None:
    import_file(user=None, path=lists["first"], source_name="first")
    california = tmp_path / "california.csv"
    california.write_text(CALIFORNIA_CSV)
    import_file(user=None, path=california, source_name="california")


def _record(source: str, key: int) -> SourceRecord:
    return SourceRecord.objects.select_related("organization").get(
        source__name=source, record_key=key
    )


def _org(source: str, key: int) -> Organization:
    org = _record(source, key).organization
    assert org is not None
    return org


@pytest.fixture
def cross_pair(imported: None) -> ReviewPair:
    # Rose City Mutual Aid (Portland, Oregon) and a California organization with a private
    # contact: the Oregon coordinator has no authority over the second.
    oakland = _org("california", 1)
    PrivateContact.objects.create(organization=oakland, email="keeper@example.org")
    return ReviewPair.objects.create(
        record_a=_record("first", 4),
        record_b=_record("california", 1),
        probability=0.6,
        explanation={"name": [2.0, "Jaro-Winkler distance of name_clean >= 0.85"]},
    )


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_it_refuses_an_oregon_coordinator_merging_into_a_california_group(
    cross_pair, regional_coordinator
) -> None:
    oakland = _org("california", 1)
    page = _client(regional_coordinator).post(
        reverse("resolution:pair", args=[cross_pair.pk]), {"decision": "same"}
    )
    assert page.status_code == 403
    assert ReviewPair.objects.get(pk=cross_pair.pk).status == ReviewStatus.OPEN
    assert not MatchDecision.objects.exists()
    assert Organization.objects.filter(pk=oakland.pk).exists()
    assert PrivateContact.objects.filter(organization=oakland).exists()
    assert _record("first", 4).organization_id != _record("california", 1).organization_id


def test_it_refuses_keeping_a_cross_region_pair_apart_too(cross_pair, regional_coordinator):
    page = _client(regional_coordinator).post(
        reverse("resolution:pair", args=[cross_pair.pk]), {"decision": "different"}
    )
    assert page.status_code == 403
    assert ReviewPair.objects.get(pk=cross_pair.pk).status == ReviewStatus.OPEN


def test_it_shows_the_oregon_coordinator_why_the_pair_is_not_theirs(
    cross_pair, regional_coordinator
) -> None:
    client = _client(regional_coordinator)
    queue = client.get(reverse("resolution:queue")).content.decode()
    assert "Oakland Rose Mutual Aid" in queue and "outside the places you coordinate" in queue
    page = client.get(reverse("resolution:pair", args=[cross_pair.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "outside the places you coordinate" in html and "California" in html
    assert 'name="decision"' not in html


def test_it_refuses_the_service_too(cross_pair, regional_coordinator) -> None:
    with pytest.raises(PermissionDenied):
        pair_decide(pair=cross_pair, same=True, by=regional_coordinator)
    portland = _org("first", 4)
    oakland = _org("california", 1)
    with pytest.raises(PermissionDenied):
        organizations_merge(keep=portland, other=oakland, by=regional_coordinator)
    with pytest.raises(PermissionDenied):
        records_split(records=[_record("california", 1)], by=regional_coordinator)


def test_it_refuses_the_organization_page_merge_across_regions(
    cross_pair, regional_coordinator
) -> None:
    portland = _org("first", 4)
    oakland = _org("california", 1)
    page = _client(regional_coordinator).post(
        reverse("resolution:organization", args=[portland.pk]),
        {"action": "merge", "other": oakland.pk},
    )
    assert page.status_code == 403
    assert "You coordinate only one of these two organizations" in page.content.decode()
    assert Organization.objects.filter(pk=oakland.pk, is_hidden=False).exists()


def test_it_lets_a_coordinator_of_both_regions_merge(cross_pair, places) -> None:
    both = User.objects.create_user("west@example.org", "a-long-passphrase")
    RegionalCoordinator.objects.create(user=both, place=places["oregon"])
    RegionalCoordinator.objects.create(user=both, place=places["california"])
    page = _client(both).post(
        reverse("resolution:pair", args=[cross_pair.pk]), {"decision": "same"}
    )
    assert page.status_code == 302
    assert _record("first", 4).organization_id == _record("california", 1).organization_id


def test_a_merge_keeps_the_private_contact_and_provenance_and_splits_back(
    cross_pair, site_coordinator
) -> None:
    oakland = _org("california", 1)
    provenance = FieldProvenance.objects.filter(organization=oakland).count()
    assert provenance > 0
    pair_decide(pair=cross_pair, same=True, by=site_coordinator, reason="one group")
    # The merged-away organization is hidden, not deleted: its private contact and where
    # its fields came from stay, ready for a split.
    kept = Organization.objects.get(pk=oakland.pk)
    assert kept.is_hidden
    assert PrivateContact.objects.get(organization=kept).email == "keeper@example.org"
    assert FieldProvenance.objects.filter(organization=kept).count() == provenance

    back = records_split(records=[_record("california", 1)], by=site_coordinator, reason="no")
    assert back.pk == oakland.pk and not back.is_hidden
    assert _record("california", 1).organization_id == oakland.pk
    assert PrivateContact.objects.get(organization=back).email == "keeper@example.org"


def test_resolution_never_deletes_an_organization_with_a_private_contact(
    lists: dict[str, Path], geocoder: None
) -> None:
    from resolution.services import records_resolve

    import_file(user=None, path=lists["first"], source_name="first")
    queens = _org("first", 1)
    # One of the two Queens records sits in an organization of its own that has a private
    # contact; the model joins the records again, which empties that organization.
    other = Organization.objects.create(name="Queens (copy)", slug="queens-copy")
    PrivateContact.objects.create(organization=other, email="queens@example.org")
    SourceRecord.objects.filter(source__name="first", record_key=3).update(organization=other)
    records_resolve()
    assert _org("first", 3).pk == queens.pk
    kept = Organization.objects.get(pk=other.pk)
    assert kept.is_hidden
    assert PrivateContact.objects.get(organization=kept).email == "queens@example.org"
