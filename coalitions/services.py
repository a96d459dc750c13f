"""Joining and leaving coalitions. Membership is opt-in on both sides: whoever asks, the other
side answers. Coalitions may join coalitions, so every new link is checked for cycles."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.services import audit_record
from coalitions.models import Membership, MembershipStatus
from coalitions.selectors import contained_ids
from directory import permissions
from directory.models import Organization
from directory.services import directory_touch

# Any constant works: it only has to be the same for every process changing memberships.
_GRAPH_LOCK_KEY = 7_346_201


def _lock_graph() -> None:
    """Serialize changes to the membership graph so two accepts cannot close a cycle together.

    SQLite already runs one writing transaction at a time; PostgreSQL needs a lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GRAPH_LOCK_KEY])


def _check_link(coalition: Organization, member: Organization) -> None:
    if coalition.pk == member.pk:
        raise ValidationError({"member": "An organization cannot be a member of itself."})
    if not coalition.is_coalition:
        raise ValidationError({"coalition": f"{coalition.name} is not a coalition."})
    # Joining must not make the coalition its own (indirect) member.
    if member.is_coalition and coalition.pk in contained_ids([member.pk]):
        raise ValidationError(
            {
                "member": f"{member.name} already includes {coalition.name}, directly or through "
                "its members, so it cannot also join it."
            }
        )


def _audit(user: Any, action: str, membership: Membership) -> None:
    audit_record(
        actor=user,
        action=action,
        target=membership,
        data={
            "coalition": membership.coalition_id,
            "member": membership.member_id,
            "status": membership.status,
        },
    )


@transaction.atomic
def membership_request(*, user: Any, coalition: Organization, member: Organization) -> Membership:
    """Ask for `member` to join `coalition`.

    Asked by an admin of the member, it is a request the coalition answers; by an admin of the
    coalition, an invitation the member answers. Someone who administers both sides is both
    asking and answering, so the membership starts active.
    """
    speaks_for_member = permissions.is_organization_admin(user, member)
    speaks_for_coalition = permissions.is_organization_admin(user, coalition)
    if not (speaks_for_member or speaks_for_coalition):
        raise PermissionDenied("Only an admin of the organization or of the coalition can ask.")
    _lock_graph()
    _check_link(coalition, member)
    if speaks_for_member and speaks_for_coalition:
        status = MembershipStatus.ACTIVE
    elif speaks_for_member:
        status = MembershipStatus.REQUESTED
    else:
        status = MembershipStatus.INVITED

    existing = (
        Membership.objects.select_for_update().filter(coalition=coalition, member=member).first()
    )
    if existing is not None:
        if existing.status == MembershipStatus.ACTIVE:
            raise ValidationError(
                {"member": f"{member.name} is already a member of {coalition.name}."}
            )
        if existing.status == status:
            return existing
        if existing.status in (MembershipStatus.REQUESTED, MembershipStatus.INVITED):
            # The other side had already asked: asking back is saying yes.
            return _decide(user, existing, MembershipStatus.ACTIVE)
        existing.status = status
        existing.requested_by = user
        existing.decided_by = user if status == MembershipStatus.ACTIVE else None
        existing.created_at = timezone.now()
        existing.decided_at = timezone.now() if status == MembershipStatus.ACTIVE else None
        existing.save()
        membership = existing
    else:
        now = timezone.now()
        active = status == MembershipStatus.ACTIVE
        membership = Membership.objects.create(
            coalition=coalition,
            member=member,
            status=status,
            requested_by=user,
            decided_by=user if active else None,
            decided_at=now if active else None,
        )
    directory_touch()
    _audit(user, f"membership.{status}", membership)
    return membership


def _answering_side_ok(user: Any, membership: Membership) -> bool:
    if membership.status == MembershipStatus.REQUESTED:
        return permissions.is_organization_admin(user, membership.coalition)
    if membership.status == MembershipStatus.INVITED:
        return permissions.is_organization_admin(user, membership.member)
    return False


def _decide(user: Any, membership: Membership, status: str) -> Membership:
    if status == MembershipStatus.ACTIVE:
        _check_link(membership.coalition, membership.member)
    membership.status = status
    membership.decided_by = user
    membership.decided_at = timezone.now()
    membership.save(update_fields=["status", "decided_by", "decided_at"])
    directory_touch()
    _audit(user, f"membership.{status}", membership)
    return membership


def _pending_locked(membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update()
        .select_related("coalition", "member")
        .get(pk=membership.pk)
    )
    if locked.status not in (MembershipStatus.REQUESTED, MembershipStatus.INVITED):
        raise ValidationError({"status": "This membership is not waiting for an answer."})
    return locked


@transaction.atomic
def membership_accept(*, user: Any, membership: Membership) -> Membership:
    """The side that did not ask says yes."""
    _lock_graph()
    locked = _pending_locked(membership)
    if not _answering_side_ok(user, locked):
        raise PermissionDenied("Only the side that was asked can accept.")
    return _decide(user, locked, MembershipStatus.ACTIVE)


@transaction.atomic
def membership_decline(*, user: Any, membership: Membership) -> Membership:
    """The side that did not ask says no."""
    locked = _pending_locked(membership)
    if not _answering_side_ok(user, locked):
        raise PermissionDenied("Only the side that was asked can decline.")
    return _decide(user, locked, MembershipStatus.DECLINED)


@transaction.atomic
def membership_leave(*, user: Any, membership: Membership) -> Membership:
    """Either side ends a membership, or withdraws a request it made, at any time."""
    locked = (
        Membership.objects.select_for_update()
        .select_related("coalition", "member")
        .get(pk=membership.pk)
    )
    if not (
        permissions.is_organization_admin(user, locked.member)
        or permissions.is_organization_admin(user, locked.coalition)
    ):
        raise PermissionDenied(
            "Only admins of the member or of the coalition can end a membership."
        )
    if locked.status not in (
        MembershipStatus.ACTIVE,
        MembershipStatus.REQUESTED,
        MembershipStatus.INVITED,
    ):
        raise ValidationError({"status": "This membership has already ended."})
    return _decide(user, locked, MembershipStatus.LEFT)
