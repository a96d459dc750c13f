"""Issue clusters inside a coalition: a member group joins or leaves a cluster, offers to lead
it, and the coalition's admins answer. Each step is checked, logged and told to the other side.

Leadership is a role the coalition grants, not one a group takes: an offer waits for the
coalition's admins, who see beside it what the group has already done on the issue, so groups
already at work there keep the lead and newcomers do not walk into their turf unasked.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from coalitions.cluster_selectors import is_active_member, is_in_cluster
from coalitions.models import ClusterChoice, ClusterLead, LeadStatus
from coalitions.notices import notify_admins
from coalitions.services import _text
from directory import permissions
from directory.models import IssueArea, Organization


def _cluster_url(coalition: Organization, issue: IssueArea) -> str:
    return reverse("coalitions:cluster", args=[coalition.slug, issue.slug])


def _check_cluster(coalition: Organization, issue: IssueArea) -> None:
    if not coalition.is_coalition:
        raise ValidationError(
            {"coalition": _("%(name)s is not a coalition.") % {"name": coalition.name}}
        )
    if not coalition.issue_areas.filter(pk=issue.pk).exists():
        raise ValidationError(
            {
                "issue": _("%(coalition)s has no %(issue)s cluster.")
                % {"coalition": coalition.name, "issue": issue.name}
            }
        )


def _speak_for_member(user: Any, coalition: Organization, member: Organization) -> None:
    if not permissions.is_organization_admin(user, member):
        raise PermissionDenied(_("Only the group's own admins can act for it."))
    if not is_active_member(coalition, member):
        raise ValidationError(
            {
                "group": _("%(group)s is not a member of %(coalition)s.")
                % {"group": member.name, "coalition": coalition.name}
            }
        )


def _choose(
    user: Any, coalition: Organization, issue: IssueArea, member: Organization, joined: bool
) -> ClusterChoice:
    _check_cluster(coalition, issue)
    _speak_for_member(user, coalition, member)
    if not joined:
        leading = ClusterLead.objects.filter(
            coalition=coalition,
            issue=issue,
            organization=member,
            status__in=[LeadStatus.CONFIRMED, LeadStatus.VOLUNTEERED],
        ).exists()
        if leading:
            raise ValidationError(
                {
                    "group": _(
                        "%(group)s leads this cluster or has offered to: step down or withdraw "
                        "the offer first."
                    )
                    % {"group": member.name}
                }
            )
    choice, _created = ClusterChoice.objects.update_or_create(
        coalition=coalition,
        member=member,
        issue=issue,
        defaults={"joined": joined, "chosen_by": user},
    )
    audit_record(
        actor=user,
        action="cluster.join" if joined else "cluster.leave",
        target=member,
        data={"coalition": coalition.pk, "issue": issue.slug},
    )
    return choice


@transaction.atomic
def cluster_join(
    *, user: Any, coalition: Organization, issue: IssueArea, member: Organization
) -> ClusterChoice:
    """A member group's admins put it in a cluster, whether or not its listing names the issue."""
    return _choose(user, coalition, issue, member, True)


@transaction.atomic
def cluster_leave(
    *, user: Any, coalition: Organization, issue: IssueArea, member: Organization
) -> ClusterChoice:
    """A member group's admins take it out of a cluster it is in by its tags or by choice."""
    return _choose(user, coalition, issue, member, False)


def _audit(user: Any, action: str, lead: ClusterLead, note: str = "") -> None:
    data: dict[str, Any] = {
        "coalition": lead.coalition_id,
        "issue": lead.issue.slug,
        "organization": lead.organization_id,
        "status": lead.status,
    }
    if note:
        data["note"] = note
    audit_record(actor=user, action=action, target=lead, data=data)


def _tell(lead: ClusterLead, user: Any, *, side: Organization, text: str, note: str) -> None:
    body = _("Their message: %(note)s") % {"note": note} if note else ""
    url = _cluster_url(lead.coalition, lead.issue)
    notify_admins(orgs=[side], text=text, url=url, body=body, exclude=user)


def _names(lead: ClusterLead) -> dict[str, str]:
    return {
        "group": lead.organization.name,
        "coalition": lead.coalition.name,
        "issue": lead.issue.name,
    }


@transaction.atomic
def lead_volunteer(
    *,
    user: Any,
    coalition: Organization,
    issue: IssueArea,
    member: Organization,
    message: str = "",
) -> ClusterLead:
    """A member group in the cluster offers to lead it; the coalition's admins are asked."""
    message = _text(message)
    _check_cluster(coalition, issue)
    _speak_for_member(user, coalition, member)
    if not is_in_cluster(coalition, issue, member):
        raise ValidationError(
            {
                "group": _("%(group)s must join the cluster before it can lead it.")
                % {"group": member.name}
            }
        )
    lead = (
        ClusterLead.objects.select_for_update()
        .filter(coalition=coalition, issue=issue, organization=member)
        .first()
    )
    if lead is not None and lead.status in (LeadStatus.CONFIRMED, LeadStatus.VOLUNTEERED):
        raise ValidationError(
            {
                "group": _("%(group)s already leads this cluster or has offered to.")
                % {"group": member.name}
            }
        )
    if lead is None:
        lead = ClusterLead(coalition=coalition, issue=issue, organization=member)
    lead.status = LeadStatus.VOLUNTEERED
    lead.message = message
    lead.answer = ""
    lead.volunteered_by = user
    lead.decided_by = None
    lead.decided_at = None
    lead.created_at = timezone.now()
    lead.save()
    _audit(user, "cluster_lead.volunteered", lead, message)
    text = _("%(group)s offers to lead the %(issue)s cluster of %(coalition)s.") % _names(lead)
    _tell(lead, user, side=coalition, text=text, note=message)
    return lead


def _locked(lead: ClusterLead) -> ClusterLead:
    return (
        ClusterLead.objects.select_for_update()
        .select_related("coalition", "organization", "issue")
        .get(pk=lead.pk)
    )


def _expect(lead: ClusterLead, *statuses: str, refusal: str) -> None:
    if lead.status not in statuses:
        raise ValidationError({"status": refusal})


def _settle(user: Any, lead: ClusterLead, status: str, note: str) -> ClusterLead:
    lead.status = status
    lead.answer = note
    lead.decided_by = user
    lead.decided_at = timezone.now()
    lead.save(update_fields=["status", "answer", "decided_by", "decided_at"])
    _audit(user, f"cluster_lead.{status}", lead, note)
    return lead


def _coalition_side(user: Any, lead: ClusterLead, refusal: str) -> None:
    if not permissions.is_organization_admin(user, lead.coalition):
        raise PermissionDenied(refusal)


@transaction.atomic
def lead_confirm(*, user: Any, lead: ClusterLead, message: str = "") -> ClusterLead:
    """The coalition's admins accept an offer: the group becomes one of the cluster's leads."""
    message = _text(message)
    locked = _locked(lead)
    _coalition_side(user, locked, _("Only the coalition's admins can confirm a lead."))
    _expect(locked, LeadStatus.VOLUNTEERED, refusal=_("This offer is not waiting for an answer."))
    if not is_active_member(locked.coalition, locked.organization):
        raise ValidationError({"status": _("The group is no longer a member of the coalition.")})
    _settle(user, locked, LeadStatus.CONFIRMED, message)
    text = _("%(coalition)s confirmed %(group)s as a lead of its %(issue)s cluster.") % _names(
        locked
    )
    _tell(locked, user, side=locked.organization, text=text, note=message)
    return locked


@transaction.atomic
def lead_decline(*, user: Any, lead: ClusterLead, message: str = "") -> ClusterLead:
    """The coalition's admins say no to an offer, with a message the group reads."""
    message = _text(message)
    locked = _locked(lead)
    _coalition_side(user, locked, _("Only the coalition's admins can decline an offer."))
    _expect(locked, LeadStatus.VOLUNTEERED, refusal=_("This offer is not waiting for an answer."))
    _settle(user, locked, LeadStatus.DECLINED, message)
    text = _("%(coalition)s declined the offer of %(group)s to lead its %(issue)s cluster.") % (
        _names(locked)
    )
    _tell(locked, user, side=locked.organization, text=text, note=message)
    return locked


@transaction.atomic
def lead_step_down(*, user: Any, lead: ClusterLead, message: str = "") -> ClusterLead:
    """A lead group stops leading, or withdraws an offer not yet answered."""
    message = _text(message)
    locked = _locked(lead)
    if not permissions.is_organization_admin(user, locked.organization):
        raise PermissionDenied(_("Only the group's own admins can step down for it."))
    _expect(
        locked,
        LeadStatus.CONFIRMED,
        LeadStatus.VOLUNTEERED,
        refusal=_("This group does not lead the cluster."),
    )
    was_offer = locked.status == LeadStatus.VOLUNTEERED
    _settle(user, locked, LeadStatus.STEPPED_DOWN, message)
    if was_offer:
        text = _("%(group)s withdrew its offer to lead the %(issue)s cluster of %(coalition)s.")
    else:
        text = _("%(group)s no longer leads the %(issue)s cluster of %(coalition)s.")
    text = text % _names(locked)
    _tell(locked, user, side=locked.coalition, text=text, note=message)
    return locked


@transaction.atomic
def lead_withdraw(*, user: Any, lead: ClusterLead, reason: str) -> ClusterLead:
    """The coalition's admins end a group's lead, and say why: the group is told the reason."""
    reason = _text(reason)
    locked = _locked(lead)
    _coalition_side(user, locked, _("Only the coalition's admins can withdraw a lead."))
    _expect(locked, LeadStatus.CONFIRMED, refusal=_("This group does not lead the cluster."))
    if not reason:
        raise ValidationError({"reason": _("Say why, so that the group knows.")})
    _settle(user, locked, LeadStatus.WITHDRAWN, reason)
    text = _("%(coalition)s withdrew %(group)s as a lead of its %(issue)s cluster.") % _names(
        locked
    )
    _tell(locked, user, side=locked.organization, text=text, note=reason)
    return locked
