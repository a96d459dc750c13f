"""Writes about trust between groups: vouching, suspending, reviewing what a suspended group
vouched for, and a coalition's bar for its assembly.

A group waiting for vouches becomes verified when two verified groups have vouched for it, or
one regional coordinator of its place (or a site coordinator) has. Every write checks the
person's right first and is written to the audit log.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from coalitions.models import Membership
from coalitions.notices import notify_admins
from directory.models import Organization, Standing
from directory.services import directory_touch
from vouching import permissions
from vouching.models import (
    REASON_MAX_LENGTH,
    Admission,
    AdmissionHow,
    AssemblyBar,
    Bar,
    Suspension,
    Vouch,
)

VOUCHES_NEEDED = 2


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say in a few words how you know this group.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep it under %(n)d characters.") % {"n": REASON_MAX_LENGTH}}
        )
    return reason


def _counting_vouches(org: Organization) -> tuple[int, bool]:
    """Vouches that still count: from groups verified now, and any coordinator's. Two groups
    one person runs count once: two vouches mean two people who know the group."""
    live = Vouch.objects.filter(organization=org, flagged_at__isnull=True)
    by_groups = live.filter(voucher__standing=Standing.VERIFIED)
    groups = min(
        by_groups.values("voucher_id").distinct().count(),
        by_groups.values("by_id").distinct().count(),
    )
    coordinator = live.filter(voucher__isnull=True).exists()
    return groups, coordinator


def _maybe_verify(org: Organization, actor: Any) -> bool:
    if org.standing != Standing.UNVERIFIED:
        return False
    groups, coordinator = _counting_vouches(org)
    if not coordinator and groups < VOUCHES_NEEDED:
        return False
    # Conditional, so two vouches landing together verify the group once.
    if not Organization.objects.filter(pk=org.pk, standing=Standing.UNVERIFIED).update(
        standing=Standing.VERIFIED
    ):
        return False
    org.standing = Standing.VERIFIED
    directory_touch()
    audit_record(
        actor=actor,
        action="organization.verified",
        target=org,
        data={"group_vouches": groups, "coordinator_vouch": coordinator},
    )
    notify_admins(
        orgs=[org],
        text=_("%(name)s is now verified: it can vote, commit to calls and receive introductions.")
        % {"name": org.name},
        url=reverse("vouching:group", args=[org.slug]),
    )
    return True


def _save_vouch(vouch: Vouch) -> Vouch:
    try:
        with transaction.atomic():
            vouch.save()
    except IntegrityError as error:
        raise ValidationError(_("You have already vouched for this group.")) from error
    return vouch


@transaction.atomic
def vouch_give(
    *, user: Any, voucher: Organization, organization: Organization, reason: str
) -> Vouch:
    """An admin of a verified group vouches for another group in its name."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    # The voucher's standing as stored now, not as the caller last read it.
    voucher = Organization.objects.get(pk=voucher.pk)
    if not permissions.can_vouch_as(user, voucher, org):
        raise PermissionDenied(_("Only an admin of a verified group can vouch in its name."))
    vouch = _save_vouch(Vouch(organization=org, voucher=voucher, by=user, reason=_reason(reason)))
    audit_record(
        actor=user,
        action="vouch.give",
        target=org,
        data={"voucher": voucher.pk, "vouch": vouch.pk, "reason": vouch.reason},
    )
    notify_admins(
        orgs=[org],
        text=_("%(voucher)s vouched for %(name)s.") % {"voucher": voucher.name, "name": org.name},
        url=reverse("vouching:group", args=[org.slug]),
        exclude=user,
    )
    _maybe_verify(org, user)
    return vouch


@transaction.atomic
def vouch_give_as_coordinator(*, user: Any, organization: Organization, reason: str) -> Vouch:
    """A coordinator of the group's place vouches in their own role; one such vouch verifies."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if not permissions.can_vouch_as_coordinator(user, org):
        raise PermissionDenied(_("Only a coordinator of this group's place can vouch for it."))
    vouch = _save_vouch(Vouch(organization=org, voucher=None, by=user, reason=_reason(reason)))
    audit_record(
        actor=user,
        action="vouch.give_as_coordinator",
        target=org,
        data={"vouch": vouch.pk, "reason": vouch.reason},
    )
    _maybe_verify(org, user)
    return vouch


def _flag_given(org: Organization, user: Any, why: str) -> int:
    now = timezone.now()
    return Vouch.objects.filter(voucher=org, flagged_at__isnull=True).update(
        flagged_at=now, flag_reason=why[:REASON_MAX_LENGTH], reviewed_at=None, reviewed_by=None
    )


@transaction.atomic
def organization_suspend(*, user: Any, organization: Organization, reason: str) -> Suspension:
    """A coordinator suspends a group whose vouchers turned out to be fake. What it vouched for
    is flagged for review; the groups it vouched for keep their standing until a coordinator
    has looked, so an honest group is not thrown out with an impostor."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if not permissions.can_suspend(user, org):
        raise PermissionDenied(_("Only a coordinator of this group's place can suspend it."))
    if org.standing == Standing.SUSPENDED:
        raise ValidationError(_("This group is already suspended."))
    reason = _reason(reason)
    before = org.standing
    Organization.objects.filter(pk=org.pk).update(standing=Standing.SUSPENDED)
    org.standing = Standing.SUSPENDED
    suspension = Suspension.objects.create(organization=org, by=user, reason=reason)
    flagged = _flag_given(
        org,
        user,
        _("%(name)s was suspended: %(reason)s")
        % {
            "name": org.name,
            "reason": reason,
        },
    )
    directory_touch()
    audit_record(
        actor=user,
        action="organization.suspend",
        target=org,
        data={"reason": reason, "before": before, "flagged_vouches": flagged},
    )
    notify_admins(
        orgs=[org],
        text=_("%(name)s was suspended by a coordinator: %(reason)s")
        % {"name": org.name, "reason": reason},
        url=reverse("vouching:group", args=[org.slug]),
        exclude=user,
    )
    return suspension


@transaction.atomic
def suspension_lift(*, user: Any, organization: Organization, reason: str) -> Organization:
    """A coordinator lifts a suspension. The group goes back to waiting for vouches (its old
    ones are looked at again by whoever vouches anew)."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if not permissions.can_suspend(user, org):
        raise PermissionDenied(_("Only a coordinator of this group's place can lift a suspension."))
    if org.standing != Standing.SUSPENDED:
        raise ValidationError(_("This group is not suspended."))
    reason = _reason(reason)
    Suspension.objects.filter(organization=org, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=user
    )
    Organization.objects.filter(pk=org.pk).update(standing=Standing.UNVERIFIED)
    org.standing = Standing.UNVERIFIED
    audit_record(actor=user, action="organization.unsuspend", target=org, data={"reason": reason})
    _maybe_verify(org, user)
    directory_touch()
    return org


@transaction.atomic
def vouch_review(*, user: Any, vouch: Vouch, keep: bool, reason: str = "") -> Vouch:
    """A coordinator looks at a flagged vouch: keeps it (the group is known otherwise), or
    suspends the group it vouched for, which flags that group's own vouches in turn."""
    vouch = Vouch.objects.select_for_update().select_related("organization").get(pk=vouch.pk)
    org = vouch.organization
    if not permissions.can_suspend(user, org):
        raise PermissionDenied(
            _("Only a coordinator of this group's place can review its vouches.")
        )
    if not vouch.needs_review:
        raise ValidationError(_("This vouch is not waiting for review."))
    vouch.reviewed_at, vouch.reviewed_by = timezone.now(), user
    vouch.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_record(
        actor=user,
        action="vouch.review_keep" if keep else "vouch.review_suspend",
        target=org,
        data={"vouch": vouch.pk, "reason": reason.strip()[:REASON_MAX_LENGTH]},
    )
    if keep:
        # A kept vouch counts again.
        Vouch.objects.filter(pk=vouch.pk).update(flagged_at=None, flag_reason="")
    elif org.standing != Standing.SUSPENDED:
        organization_suspend(user=user, organization=org, reason=reason)
    return vouch


@transaction.atomic
def assembly_bar_set(*, user: Any, coalition: Organization, bar: str) -> AssemblyBar:
    """A coalition's admins choose what a member group needs before it takes part in the
    assembly. Groups already members when the bar is raised keep their seat."""
    if not permissions.can_set_bar(user, coalition):
        raise PermissionDenied(_("Only the coalition's admins choose its assembly's bar."))
    if bar not in Bar.values:
        raise ValidationError({"bar": _("Choose one of the bars offered.")})
    row, _created = AssemblyBar.objects.select_for_update().get_or_create(coalition=coalition)
    before = row.bar if not _created else Bar.VERIFIED
    row.bar, row.set_by = bar, user
    row.save()
    if bar != Bar.VERIFIED:
        members = (
            Membership.objects.active()
            .filter(coalition=coalition)
            .values_list("member_id", flat=True)
        )
        already = set(
            Admission.objects.filter(coalition=coalition).values_list("member_id", flat=True)
        )
        Admission.objects.bulk_create(
            Admission(coalition=coalition, member_id=m, how=AdmissionHow.BEFORE_BAR, by=user)
            for m in members
            if m not in already
        )
    audit_record(
        actor=user, action="assembly_bar.set", target=coalition, data={"bar": bar, "before": before}
    )
    return row


@transaction.atomic
def admission_record(
    *, user: Any, coalition: Organization, member: Organization, how: str, note: str = ""
) -> Admission:
    """A coalition's admin records that a member group met them face to face, or approves it."""
    if not permissions.can_admit(user, coalition):
        raise PermissionDenied(_("Only the coalition's admins let groups into its assembly."))
    if how not in (AdmissionHow.MEETING, AdmissionHow.APPROVAL):
        raise ValidationError({"how": _("Choose a meeting or an approval.")})
    if not Membership.objects.active().filter(coalition=coalition, member=member).exists():
        raise ValidationError(_("Only member groups of the coalition can join its assembly."))
    admission, created = Admission.objects.get_or_create(
        coalition=coalition,
        member=member,
        defaults={"how": how, "note": note.strip()[:REASON_MAX_LENGTH], "by": user},
    )
    if not created:
        raise ValidationError(_("This group is already in the assembly."))
    audit_record(
        actor=user,
        action="assembly.admit",
        target=coalition,
        data={"member": member.pk, "how": how, "note": admission.note},
    )
    notify_admins(
        orgs=[member],
        text=_("%(name)s can now take part in the assembly of %(coalition)s.")
        % {"name": member.name, "coalition": coalition.name},
        url=reverse("vouching:bar", args=[coalition.slug]),
        exclude=user,
    )
    return admission
