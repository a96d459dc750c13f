"""Four eyes for what an infiltrator would do: one coordinator asks, a second one confirms, and
only then does the original service run, in the asker's name with the confirmer recorded.

Done this way today: granting a coordinator role (site, or regional for a place) and merging two
listings when a group's own admins run one of them and the asker is not among them
(`resolution.permissions.merge_needs_second`; the duplicates pages refuse such a merge and link
here). Each kind has a runner that looks its
objects up again when confirmed, so a confirmation acts on the hub as it is then.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RegionalCoordinator, User
from accounts.services import audit_record
from coalitions.models import Notice
from coalitions.notices import notify_admins
from directory import permissions as directory_permissions
from directory.models import Organization
from places.models import Place
from resolution.permissions import can_merge
from resolution.services import organizations_merge
from vouching import permissions
from vouching.models import REASON_MAX_LENGTH, PendingAction, PendingKind, PendingState


def _coordinators_for(place: Place | None) -> list[User]:
    """Everyone who could confirm an action about `place`: site coordinators, and for a place,
    the regional coordinators of it or of a place holding it."""
    people = list(User.objects.filter(is_site_coordinator=True, is_active=True))
    if place is not None:
        for role in RegionalCoordinator.objects.filter(user__is_active=True).select_related(
            "user", "place"
        ):
            if directory_permissions.is_regional_coordinator_for(role.user, place):
                people.append(role.user)
    return list({p.pk: p for p in people}.values())


def _tell_coordinators(action: PendingAction, exclude: Any) -> int:
    url = reverse("vouching:pending")
    text = _("Waiting for a second coordinator: %(summary)s") % {"summary": action.summary}
    people = [p for p in _coordinators_for(action.place) if p.pk != getattr(exclude, "pk", None)]
    Notice.objects.bulk_create(Notice(user=p, text=text[:500], url=url) for p in people)
    return len(people)


def _request(
    *, user: Any, kind: str, data: dict[str, Any], summary: str, place: Place | None, reason: str
) -> PendingAction:
    action = PendingAction.objects.create(
        kind=kind,
        data=data,
        summary=summary[:300],
        reason=reason.strip()[:REASON_MAX_LENGTH],
        requested_by=user,
        place=place,
    )
    audit_record(
        actor=user,
        action="pending.request",
        target=action,
        data={"kind": kind, **data, "reason": action.reason},
    )
    _tell_coordinators(action, exclude=user)
    return action


# ---- granting a coordinator role -----------------------------------------------------------


def _may_grant(user: Any, place: Place | None) -> bool:
    """A site role only a site coordinator grants; a regional one, a coordinator of a place
    holding it."""
    return permissions.signed_in(user) and permissions.coordinator_scope(user, place)


@transaction.atomic
def role_grant_request(
    *, user: Any, grantee: User, place: Place | None, reason: str
) -> PendingAction:
    """Ask for `grantee` to become a regional coordinator of `place` (or, with no place, a site
    coordinator). Nothing changes until a second coordinator confirms."""
    if not _may_grant(user, place):
        raise PermissionDenied(
            _("Only a coordinator of this place, or a site coordinator, can ask for this role.")
        )
    if not grantee.is_active:
        raise ValidationError({"email": _("This account is not open yet.")})
    if place is None and grantee.is_site_coordinator:
        raise ValidationError({"email": _("This person is already a site coordinator.")})
    if place is not None and RegionalCoordinator.objects.filter(user=grantee, place=place).exists():
        raise ValidationError({"email": _("This person already coordinates this place.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this person should have the role.")})
    role = (
        _("site coordinator")
        if place is None
        else _("coordinator of %(place)s") % {"place": place.name}
    )
    return _request(
        user=user,
        kind=PendingKind.ROLE_GRANT,
        data={"user_id": grantee.pk, "place_id": place.pk if place else None},
        summary=_("Make %(person)s %(role)s") % {"person": grantee, "role": role},
        place=place,
        reason=reason,
    )


def coordinator_role_grant(
    *, user: Any, confirmed_by: Any, grantee: User, place: Place | None
) -> None:
    """Give the role. Reached only through a confirmed pending action: two coordinators, each
    of whom could have asked for it."""
    for person in (user, confirmed_by):
        if not _may_grant(person, place):
            raise PermissionDenied(_("Both coordinators must be able to grant this role."))
    if place is None:
        User.objects.filter(pk=grantee.pk).update(is_site_coordinator=True)
        audit_record(
            actor=user,
            action="user.roles",
            target=grantee,
            data={"is_site_coordinator": True, "confirmed_by": confirmed_by.pk},
        )
        return
    RegionalCoordinator.objects.get_or_create(user=grantee, place=place)
    audit_record(
        actor=user,
        action="regional_coordinator.add",
        target=grantee,
        data={"place": place.slug, "confirmed_by": confirmed_by.pk},
    )


def _run_role_grant(action: PendingAction, confirmed_by: Any) -> None:
    grantee = User.objects.filter(pk=action.data.get("user_id")).first()
    place_id = action.data.get("place_id")
    place = Place.objects.filter(pk=place_id).first() if place_id else None
    if grantee is None or (place_id and place is None):
        raise ValidationError(_("The person or the place no longer exists."))
    coordinator_role_grant(
        user=action.requested_by, confirmed_by=confirmed_by, grantee=grantee, place=place
    )
    Notice.objects.create(
        user=grantee,
        text=_("You now have a new role: %(summary)s") % {"summary": action.summary},
        url=reverse("vouching:pending"),
    )


# ---- merging listings -----------------------------------------------------------------------


@transaction.atomic
def merge_request(
    *, user: Any, keep: Organization, other: Organization, reason: str = ""
) -> PendingAction:
    """Ask for `other` to be merged into `keep`; a second coordinator of both confirms."""
    if keep.pk == other.pk:
        raise ValidationError(_("A listing cannot be merged with itself."))
    if not can_merge(user, keep, other):
        raise PermissionDenied(_("Only a coordinator of both places can merge these listings."))
    action = _request(
        user=user,
        kind=PendingKind.MERGE,
        data={"keep_id": keep.pk, "other_id": other.pk},
        summary=_("Merge %(other)s into %(keep)s") % {"other": other.name, "keep": keep.name},
        place=keep.home_place,
        reason=reason,
    )
    # The groups are told while it waits, so an admin can speak up to the coordinators.
    notify_admins(
        orgs=[keep, other],
        text=_(
            "A coordinator asked to merge the listing %(other)s into %(keep)s. It happens only "
            "if a second coordinator confirms; if this is wrong, tell the coordinators of your place."
        )
        % {"other": other.name, "keep": keep.name},
        url=reverse("organization", args=[keep.slug]),
        exclude=user,
    )
    return action


def _run_merge(action: PendingAction, confirmed_by: Any) -> None:
    keep = Organization.objects.filter(pk=action.data.get("keep_id")).first()
    other = Organization.objects.filter(pk=action.data.get("other_id")).first()
    if keep is None or other is None:
        raise ValidationError(_("One of the listings no longer exists."))
    if not can_merge(confirmed_by, keep, other):
        raise PermissionDenied(_("Only a coordinator of both places can confirm this merge."))
    try:
        organizations_merge(keep=keep, other=other, by=action.requested_by, reason=action.reason)
    except ValueError as error:
        raise ValidationError(str(error)) from error


RUNNERS: dict[str, Callable[[PendingAction, Any], None]] = {
    PendingKind.ROLE_GRANT: _run_role_grant,
    PendingKind.MERGE: _run_merge,
}


# ---- deciding ------------------------------------------------------------------------------


def can_decide(user: Any, action: PendingAction) -> bool:
    """A coordinator of the action's place other than the one who asked (and, for a role, other
    than the person who would get it)."""
    if not permissions.signed_in(user) or user.pk == action.requested_by_id:
        return False
    if action.kind == PendingKind.ROLE_GRANT and action.data.get("user_id") == user.pk:
        return False
    return permissions.coordinator_scope(user, action.place)


@transaction.atomic
def pending_decide(
    *, user: Any, action: PendingAction, confirm: bool, answer: str = ""
) -> PendingAction:
    action = PendingAction.objects.select_for_update().get(pk=action.pk)
    if not can_decide(user, action):
        raise PermissionDenied(_("A second coordinator, not the one who asked, must confirm this."))
    if action.state != PendingState.PENDING:
        raise ValidationError(_("This has already been decided."))
    action.decided_by, action.decided_at = user, timezone.now()
    action.answer = answer.strip()[:REASON_MAX_LENGTH]
    if confirm:
        try:
            with transaction.atomic():
                RUNNERS[action.kind](action, user)
        except (ValidationError, PermissionDenied) as error:
            action.state = PendingState.FAILED
            action.answer = "; ".join(getattr(error, "messages", [str(error)]))[:REASON_MAX_LENGTH]
        else:
            action.state = PendingState.DONE
    else:
        action.state = PendingState.DECLINED
    action.save(update_fields=["state", "decided_by", "decided_at", "answer"])
    audit_record(
        actor=user,
        action=f"pending.{action.state}",
        target=action,
        data={"kind": action.kind, **action.data, "answer": action.answer},
    )
    if action.requested_by is not None and action.requested_by.pk != user.pk:
        Notice.objects.create(
            user=action.requested_by,
            text=f"{action.get_state_display()}: {action.summary}"[:500],
            url=reverse("vouching:pending"),
        )
    return action


@transaction.atomic
def pending_withdraw(*, user: Any, action: PendingAction) -> PendingAction:
    action = PendingAction.objects.select_for_update().get(pk=action.pk)
    if not permissions.signed_in(user) or action.requested_by_id != user.pk:
        raise PermissionDenied(_("Only the coordinator who asked can withdraw this."))
    if action.state != PendingState.PENDING:
        raise ValidationError(_("This has already been decided."))
    action.state, action.decided_by, action.decided_at = (
        PendingState.WITHDRAWN,
        user,
        timezone.now(),
    )
    action.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(actor=user, action="pending.withdrawn", target=action, data={"kind": action.kind})
    return action


def pending_q_for(user: Any) -> Q | None:
    return permissions.pending_visible_q(user)
