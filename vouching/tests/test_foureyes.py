"""Granting a coordinator role and merging listings wait for a second coordinator."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, RegionalCoordinator, User
from directory.models import Organization
from vouching import foureyes
from vouching.models import PendingKind, PendingState

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_coordinator(db: None) -> User:
    return User.objects.create_user(
        "second@example.org", "a-long-passphrase", is_site_coordinator=True
    )


def test_it_makes_a_role_grant_wait_for_a_second_coordinator(
    site_coordinator, second_coordinator, member, places
) -> None:
    action = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=places["oregon"], reason="Runs the network."
    )
    assert action.kind == PendingKind.ROLE_GRANT
    assert not RegionalCoordinator.objects.filter(user=member).exists()
    foureyes.pending_decide(user=second_coordinator, action=action, confirm=True)
    assert RegionalCoordinator.objects.filter(user=member, place=places["oregon"]).exists()
    action.refresh_from_db()
    assert action.state == PendingState.DONE
    event = AuditEvent.objects.get(action="regional_coordinator.add")
    assert event.actor == site_coordinator
    assert event.data["confirmed_by"] == second_coordinator.pk


def test_it_refuses_the_asker_confirming_their_own_request(site_coordinator, member) -> None:
    action = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=None, reason="Trusted."
    )
    with pytest.raises(PermissionDenied):
        foureyes.pending_decide(user=site_coordinator, action=action, confirm=True)
    member.refresh_from_db()
    assert not member.is_site_coordinator


def test_it_refuses_the_grantee_confirming_their_own_role(
    site_coordinator, second_coordinator, regional_coordinator, places
) -> None:
    action = foureyes.role_grant_request(
        user=site_coordinator, grantee=second_coordinator, place=places["oregon"], reason="x"
    )
    with pytest.raises(PermissionDenied):
        foureyes.pending_decide(user=second_coordinator, action=action, confirm=True)
    # A coordinator of the place may confirm instead.
    foureyes.pending_decide(user=regional_coordinator, action=action, confirm=True)
    assert RegionalCoordinator.objects.filter(user=second_coordinator).exists()


def test_it_keeps_a_site_role_to_site_coordinators(
    regional_coordinator, site_coordinator, member
) -> None:
    with pytest.raises(PermissionDenied):
        foureyes.role_grant_request(
            user=regional_coordinator, grantee=member, place=None, reason="x"
        )
    action = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=None, reason="x"
    )
    with pytest.raises(PermissionDenied):
        foureyes.pending_decide(user=regional_coordinator, action=action, confirm=True)


def test_it_refuses_outsiders_asking_or_confirming(
    outsider, site_coordinator, member, places
) -> None:
    with pytest.raises(PermissionDenied):
        foureyes.role_grant_request(
            user=outsider, grantee=member, place=places["oregon"], reason="x"
        )
    action = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=places["oregon"], reason="x"
    )
    with pytest.raises(PermissionDenied):
        foureyes.pending_decide(user=outsider, action=action, confirm=True)


def test_it_declines_and_withdraws(site_coordinator, second_coordinator, member) -> None:
    declined = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=None, reason="x"
    )
    foureyes.pending_decide(user=second_coordinator, action=declined, confirm=False, answer="No.")
    declined.refresh_from_db()
    assert declined.state == PendingState.DECLINED
    member.refresh_from_db()
    assert not member.is_site_coordinator
    with pytest.raises(ValidationError):
        foureyes.pending_decide(user=second_coordinator, action=declined, confirm=True)
    withdrawn = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=None, reason="x"
    )
    with pytest.raises(PermissionDenied):
        foureyes.pending_withdraw(user=second_coordinator, action=withdrawn)
    foureyes.pending_withdraw(user=site_coordinator, action=withdrawn)
    withdrawn.refresh_from_db()
    assert withdrawn.state == PendingState.WITHDRAWN


def test_it_grants_a_site_role_once_confirmed(site_coordinator, second_coordinator, member) -> None:
    action = foureyes.role_grant_request(
        user=site_coordinator, grantee=member, place=None, reason="x"
    )
    foureyes.pending_decide(user=second_coordinator, action=action, confirm=True)
    member.refresh_from_db()
    assert member.is_site_coordinator


def test_it_tells_the_other_coordinators(site_coordinator, second_coordinator, member) -> None:
    from coalitions.models import Notice

    foureyes.role_grant_request(user=site_coordinator, grantee=member, place=None, reason="x")
    assert Notice.objects.filter(user=second_coordinator).count() == 1
    assert not Notice.objects.filter(user=site_coordinator).exists()


def test_it_says_which_merges_need_a_second_coordinator(
    organizer, site_coordinator, places
) -> None:
    from directory import services as directory_services
    from resolution.permissions import merge_needs_second

    def make(name: str, user: User | None) -> Organization:
        return directory_services.organization_create(
            user=user, name=name, home_place=places["portland"]
        )

    a, b = make("A", organizer), make("B", organizer)
    imported, also_imported = make("C", None), make("D", None)
    assert not merge_needs_second(organizer, a, b)  # one's own groups
    assert merge_needs_second(site_coordinator, a, b)  # groups other people run
    assert merge_needs_second(site_coordinator, a, imported)
    assert not merge_needs_second(site_coordinator, imported, also_imported)  # nobody's yet


def test_it_makes_a_merge_wait_and_refuses_outsiders(
    site_coordinator, second_coordinator, outsider, places
) -> None:
    from directory import services as directory_services

    a = directory_services.organization_create(user=None, name="A", home_place=places["portland"])
    b = directory_services.organization_create(user=None, name="B", home_place=places["portland"])
    with pytest.raises(PermissionDenied):
        foureyes.merge_request(user=outsider, keep=a, other=b)
    action = foureyes.merge_request(user=site_coordinator, keep=a, other=b, reason="Same group.")
    b.refresh_from_db()
    assert not b.is_hidden
    # Without imported records the merge service refuses; the action says why instead of failing.
    foureyes.pending_decide(user=second_coordinator, action=action, confirm=True)
    action.refresh_from_db()
    assert action.state == PendingState.FAILED
    assert "records" in action.answer


def test_it_tells_the_groups_a_merge_would_touch(
    site_coordinator, organizer, places, mailoutbox
) -> None:
    from coalitions.models import Notice
    from directory import services as directory_services

    a = directory_services.organization_create(
        user=organizer, name="A", home_place=places["portland"]
    )
    b = directory_services.organization_create(user=None, name="B", home_place=places["portland"])
    foureyes.merge_request(user=site_coordinator, keep=b, other=a, reason="Same.")
    assert Notice.objects.filter(user=organizer, text__contains="asked to merge").exists()
    assert any(organizer.email in m.to for m in mailoutbox)
