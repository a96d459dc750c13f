"""A merge touching a listing that a group's own admins run waits for a second coordinator
(vouching/); listings nobody has claimed merge at once, as before."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from directory.models import OrganizationAdmin
from resolution.models import ReviewPair
from sources.models import SourceRecord
from sources.services import import_file
from vouching.models import PendingAction, PendingState


@pytest.fixture
def pair(lists: dict[str, Path], geocoder: None) -> ReviewPair:
    import_file(user=None, path=lists["first"], source_name="first")
    return ReviewPair.objects.create(
        record_a=_record(4), record_b=_record(5), probability=0.5, explanation={}
    )


def _record(key: int) -> SourceRecord:
    return SourceRecord.objects.select_related("organization").get(
        source__name="first", record_key=key
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_makes_a_merge_of_a_claimed_listing_wait_for_a_second_coordinator(
    pair: ReviewPair, site_coordinator: User, organizer: User, outsider: User
) -> None:
    keep, other = _record(4).organization, _record(5).organization
    assert keep is not None and other is not None
    OrganizationAdmin.objects.create(organization=other, user=organizer)
    client = _client(site_coordinator)
    page = client.post(reverse("resolution:pair", args=[pair.pk]), {"decision": "same"})
    assert page.status_code == 302 and reverse("vouching:merge_request") in page["Location"]
    assert _record(4).organization_id != _record(5).organization_id

    asked = client.post(
        page["Location"].split("?")[0],
        {"keep": keep.pk, "other": other.pk, "reason": "Same food share, two names."},
    )
    assert asked.status_code == 302
    action = PendingAction.objects.get()
    assert (
        _client(outsider)
        .post(reverse("vouching:pending_decide", args=[action.pk]), {"decision": "confirm"})
        .status_code
        == 403
    )
    client.post(reverse("vouching:pending_decide", args=[action.pk]), {"decision": "confirm"})
    assert _record(4).organization_id != _record(5).organization_id  # not by the asker

    second = User.objects.create_user(
        "second@example.org", "pw-long-enough", is_site_coordinator=True
    )
    _client(second).post(
        reverse("vouching:pending_decide", args=[action.pk]), {"decision": "confirm"}
    )
    action.refresh_from_db()
    assert action.state == PendingState.DONE
    assert _record(4).organization_id == _record(5).organization_id


def test_it_refuses_the_direct_merge_form_for_a_claimed_listing(
    pair: ReviewPair, site_coordinator: User, organizer: User
) -> None:
    keep, other = _record(4).organization, _record(5).organization
    assert keep is not None and other is not None
    OrganizationAdmin.objects.create(organization=keep, user=organizer)
    page = _client(site_coordinator).post(
        reverse("resolution:organization", args=[keep.pk]),
        {"action": "merge", "other": other.pk, "reason": ""},
    )
    assert page.status_code == 403
    assert b"ask-second" in page.content
    assert _record(4).organization_id != _record(5).organization_id
