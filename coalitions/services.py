"""Joining and leaving coalitions. Membership is opt-in on both sides: whoever asks, the other
side answers. Coalitions may join coalitions, so every new link is checked for cycles."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.services import audit_record
from coalitions.models import CoalitionLevel, CoalitionProfile, Membership, MembershipStatus
from coalitions.notices import notify_admins
from coalitions.selectors import containment_path
from directory import permissions
from directory.models import IssueArea, Organization, OrganizationKind
from directory.services import directory_touch, organization_create
from places.models import Place

# Any constant works: it only has to be the same for every process changing memberships.
_GRAPH_LOCK_KEY = 7_346_201


def _lock_graph() -> None:
    """Serialize changes to the membership graph so two accepts cannot close a cycle together.

    SQLite already runs one writing transaction at a time; PostgreSQL needs a lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GRAPH_LOCK_KEY])


MAX_MESSAGE = 2000


def _stamp_sides(membership: Membership) -> None:
    # Both listings' members or coalitions changed: the coalition pages that remember sums
    # over either side look for changed listings by this stamp (coalitions/remembered.py).
    Organization.objects.filter(pk__in=[membership.coalition_id, membership.member_id]).update(
        updated_at=timezone.now()
    )


def _check_link(coalition: Organization, member: Organization) -> None:
    if coalition.pk == member.pk:
        raise ValidationError({"member": _("An organization cannot be a member of itself.")})
    if not coalition.is_coalition:
        raise ValidationError(
            {"coalition": _("%(name)s is not a coalition.") % {"name": coalition.name}}
        )
    # Joining must not make the coalition its own (indirect) member: the graph of coalitions
    # stays a hierarchy that roll-ups and delegations can climb without going round in a loop.
    path = containment_path(member, coalition) if member.is_coalition else None
    if path:
        raise ValidationError(
            {
                "member": _(
                    "%(member)s already includes %(coalition)s (%(path)s), so it cannot also "
                    "join it: a coalition would end up inside itself."
                )
                % {
                    "member": member.name,
                    "coalition": coalition.name,
                    "path": " → ".join(path),
                }
            }
        )


def _text(value: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_MESSAGE:
        raise ValidationError(
            {"message": _("Keep it under %(n)d characters.") % {"n": MAX_MESSAGE}}
        )
    return value


def _link(membership: Membership) -> str:
    return reverse("coalitions:membership", args=[membership.pk])


def _tell(membership: Membership, user: Any, *, side: Organization, text: str, note: str) -> None:
    """Notify the admins of `side` (the side that did not act) about this step."""
    body = _("Their message: %(note)s") % {"note": note} if note else ""
    notify_admins(orgs=[side], text=text, url=_link(membership), body=body, exclude=user)


def _audit(user: Any, action: str, membership: Membership, note: str = "") -> None:
    data: dict[str, Any] = {
        "coalition": membership.coalition_id,
        "member": membership.member_id,
        "status": membership.status,
    }
    if note:
        data["note"] = note
    audit_record(actor=user, action=action, target=membership, data=data)


@transaction.atomic
def membership_request(
    *, user: Any, coalition: Organization, member: Organization, message: str = ""
) -> Membership:
    """Ask for `member` to join `coalition`.

    Asked by an admin of the member, it is a request the coalition answers; by an admin of the
    coalition, an invitation the member answers. Someone who administers both sides is both
    asking and answering, so the membership starts active.
    """
    speaks_for_member = permissions.is_organization_admin(user, member)
    speaks_for_coalition = permissions.is_organization_admin(user, coalition)
    if not (speaks_for_member or speaks_for_coalition):
        raise PermissionDenied(_("Only an admin of the organization or of the coalition can ask."))
    message = _text(message)
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
                {
                    "member": _("%(member)s is already a member of %(coalition)s.")
                    % {"member": member.name, "coalition": coalition.name}
                }
            )
        if existing.status == status:
            return existing
        if existing.status in (MembershipStatus.REQUESTED, MembershipStatus.INVITED):
            # The other side had already asked: asking back is saying yes.
            return _decide(user, existing, MembershipStatus.ACTIVE, message)
        existing.status = status
        existing.message = message
        existing.answer = ""
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
            message=message,
        )
    _stamp_sides(membership)
    directory_touch()
    _audit(user, f"membership.{status}", membership, message)
    names = {"member": member.name, "coalition": coalition.name}
    if status == MembershipStatus.REQUESTED:
        text = _("%(member)s asks to join %(coalition)s.") % names
        _tell(membership, user, side=coalition, text=text, note=message)
    elif status == MembershipStatus.INVITED:
        text = _("%(coalition)s invites %(member)s to join it.") % names
        _tell(membership, user, side=member, text=text, note=message)
    return membership


def _answering_side_ok(user: Any, membership: Membership) -> bool:
    if membership.status == MembershipStatus.REQUESTED:
        return permissions.is_organization_admin(user, membership.coalition)
    if membership.status == MembershipStatus.INVITED:
        return permissions.is_organization_admin(user, membership.member)
    return False


# What the other side is told after each answer, by the status it leads to.
_ANSWER_TEXT = {
    MembershipStatus.ACTIVE: gettext_noop("%(member)s is now a member of %(coalition)s."),
    MembershipStatus.DECLINED: gettext_noop(
        "%(actor)s declined: %(member)s will not join %(coalition)s."
    ),
    MembershipStatus.LEFT: gettext_noop("%(member)s is no longer a member of %(coalition)s."),
    MembershipStatus.REMOVED: gettext_noop("%(coalition)s removed %(member)s from its members."),
}


_WITHDRAWN_TEXT = gettext_noop("%(actor)s withdrew the ask for %(member)s to join %(coalition)s.")


def _decide(user: Any, membership: Membership, status: str, note: str = "") -> Membership:
    if status == MembershipStatus.ACTIVE:
        _check_link(membership.coalition, membership.member)
    asked_by_member = membership.status == MembershipStatus.REQUESTED
    was_pending = membership.status in (MembershipStatus.REQUESTED, MembershipStatus.INVITED)
    membership.status = status
    membership.decided_by = user
    membership.decided_at = timezone.now()
    membership.answer = note
    membership.save(update_fields=["status", "decided_by", "decided_at", "answer"])
    _stamp_sides(membership)
    directory_touch()
    _audit(user, f"membership.{status}", membership, note)
    coalition, member = membership.coalition, membership.member
    # The side told is the one that did not act: after an answer, the side that asked.
    if was_pending and status in (MembershipStatus.ACTIVE, MembershipStatus.DECLINED):
        side = member if asked_by_member else coalition
    elif status == MembershipStatus.REMOVED:
        side = member
    elif permissions.is_organization_admin(user, member):
        side = coalition
    else:
        side = member
    actor = coalition if side == member else member
    template = _ANSWER_TEXT[MembershipStatus(status)]
    if was_pending and status == MembershipStatus.LEFT:
        template = _WITHDRAWN_TEXT
    text = _(template) % {
        "member": member.name,
        "coalition": coalition.name,
        "actor": actor.name,
    }
    _tell(membership, user, side=side, text=text, note=note)
    return membership


def _pending_locked(membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update()
        .select_related("coalition", "member")
        .get(pk=membership.pk)
    )
    if locked.status not in (MembershipStatus.REQUESTED, MembershipStatus.INVITED):
        raise ValidationError({"status": _("This membership is not waiting for an answer.")})
    return locked


@transaction.atomic
def membership_accept(*, user: Any, membership: Membership, message: str = "") -> Membership:
    """The side that did not ask says yes."""
    message = _text(message)
    _lock_graph()
    locked = _pending_locked(membership)
    if not _answering_side_ok(user, locked):
        raise PermissionDenied(_("Only the side that was asked can accept."))
    return _decide(user, locked, MembershipStatus.ACTIVE, message)


@transaction.atomic
def membership_decline(*, user: Any, membership: Membership, message: str = "") -> Membership:
    """The side that did not ask says no."""
    message = _text(message)
    locked = _pending_locked(membership)
    if not _answering_side_ok(user, locked):
        raise PermissionDenied(_("Only the side that was asked can decline."))
    return _decide(user, locked, MembershipStatus.DECLINED, message)


def _live_locked(membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update()
        .select_related("coalition", "member")
        .get(pk=membership.pk)
    )
    if locked.status not in (
        MembershipStatus.ACTIVE,
        MembershipStatus.REQUESTED,
        MembershipStatus.INVITED,
    ):
        raise ValidationError({"status": _("This membership has already ended.")})
    return locked


@transaction.atomic
def membership_leave(*, user: Any, membership: Membership, message: str = "") -> Membership:
    """Either side ends a membership, or withdraws a request it made, at any time."""
    message = _text(message)
    locked = _live_locked(membership)
    if not (
        permissions.is_organization_admin(user, locked.member)
        or permissions.is_organization_admin(user, locked.coalition)
    ):
        raise PermissionDenied(
            _("Only admins of the member or of the coalition can end a membership.")
        )
    return _decide(user, locked, MembershipStatus.LEFT, message)


@transaction.atomic
def membership_remove(*, user: Any, membership: Membership, reason: str) -> Membership:
    """The coalition's admins end a membership, and say why: the member is told the reason."""
    reason = _text(reason)
    locked = _live_locked(membership)
    if not permissions.is_organization_admin(user, locked.coalition):
        raise PermissionDenied(_("Only the coalition's admins can remove a member."))
    if locked.status != MembershipStatus.ACTIVE:
        raise ValidationError({"status": _("Only a current member can be removed.")})
    if not reason:
        raise ValidationError({"reason": _("Say why, so that the group knows.")})
    return _decide(user, locked, MembershipStatus.REMOVED, reason)


@transaction.atomic
def coalition_start(
    *,
    user: Any,
    name: str,
    level: str,
    span: Place | None,
    issue_areas: Iterable[IssueArea | str] = (),
    description: str = "",
    founding_members: Iterable[Organization] = (),
    invitees: Iterable[Organization] = (),
    message: str = "",
) -> Organization:
    """Start a coalition: its listing, its level and area, and its first members.

    The starter becomes its first admin. Founding members must be groups the starter
    administers, so they join at once; every other group is invited and decides for itself.
    """
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to start a coalition."))
    if level not in CoalitionLevel.values:
        raise ValidationError({"level": _("Choose one of the levels offered.")})
    founders = list(founding_members)
    own = set(permissions.administered_organization_ids(user))
    for org in founders:
        if org.pk not in own:
            raise PermissionDenied(
                _("%(name)s can only be invited: you are not one of its admins.")
                % {"name": org.name}
            )
    # A listing's home place is a tree place; a coalition spanning a region keeps the region
    # in its profile and has no single home.
    home = span if span is not None and not span.is_overlay else None
    coalition = organization_create(
        user=user,
        name=name,
        kind=OrganizationKind.COALITION,
        home_place=home,
        description=description,
        issue_areas=issue_areas,
    )
    CoalitionProfile.objects.create(organization=coalition, level=level, span=span, started_by=user)
    audit_record(
        actor=user,
        action="coalition.start",
        target=coalition,
        data={"level": level, "span": span.pk if span else None},
    )
    for org in founders:
        membership_request(user=user, coalition=coalition, member=org)
    for org in invitees:
        if org.pk in own or org.pk == coalition.pk:
            continue
        membership_request(user=user, coalition=coalition, member=org, message=message)
    return coalition
