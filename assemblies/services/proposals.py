"""Proposals, the support that brings them to the agenda, amendments, and deliberation."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import notify, permissions
from assemblies.models import (
    Amendment,
    AmendmentStatus,
    Argument,
    Assembly,
    Endorsement,
    Proposal,
    ProposalStatus,
    Stance,
    Support,
)
from assemblies.services._shared import text

OPEN_FOR_CHANGE = (ProposalStatus.GATHERING, ProposalStatus.AGENDA)


def _url(proposal: Proposal) -> str:
    return reverse("assemblies:proposal", args=[proposal.pk])


@transaction.atomic
def proposal_submit(*, user: Any, assembly: Assembly, title: str, body: str) -> Proposal:
    """Anyone taking part proposes; the author is its first supporter."""
    permissions.require_participant(user, assembly)
    proposal = Proposal.objects.create(
        assembly=assembly,
        title=text(title, limit=200, field="title"),
        body=text(body, limit=20000, field="body"),
        author=user,
    )
    Assembly.objects.filter(pk=assembly.pk).update(proposal_count=F("proposal_count") + 1)
    audit_record(actor=user, action="proposal.submit", target=proposal)
    _support(user, proposal)
    return proposal


def _support(user: Any, proposal: Proposal) -> bool:
    try:
        with transaction.atomic():
            Support.objects.create(proposal=proposal, user=user)
    except IntegrityError:
        return False
    Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
    # One conditional UPDATE moves it to the agenda, so the step (and its notice) happens
    # once however many people support it at the same moment.
    moved = Proposal.objects.filter(
        pk=proposal.pk,
        status=ProposalStatus.GATHERING,
        support_count__gte=proposal.assembly.support_threshold,
    ).update(status=ProposalStatus.AGENDA)
    if moved:
        audit_record(actor=None, action="proposal.agenda", target=proposal)
        notify.people_tell(
            users=[proposal.author],
            text=_("Your proposal “%(title)s” has the support it needs and is on the agenda.")
            % {"title": proposal.title},
            url=_url(proposal),
        )
    return True


@transaction.atomic
def proposal_support(*, user: Any, proposal: Proposal) -> Proposal:
    permissions.require_participant(user, proposal.assembly)
    if proposal.status not in OPEN_FOR_CHANGE:
        raise ValidationError(_("This proposal is no longer gathering support."))
    if _support(user, proposal):
        audit_record(actor=user, action="proposal.support", target=proposal)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def proposal_withdraw(*, user: Any, proposal: Proposal) -> Proposal:
    if proposal.author_id != getattr(user, "pk", None):
        raise PermissionDenied(_("Only its author can withdraw a proposal."))
    if proposal.status not in OPEN_FOR_CHANGE:
        raise ValidationError(_("This proposal is already being decided."))
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.save(update_fields=["status"])
    audit_record(actor=user, action="proposal.withdraw", target=proposal)
    return proposal


@transaction.atomic
def amendment_propose(
    *, user: Any, proposal: Proposal, new_text: str, reason: str = ""
) -> Amendment:
    permissions.require_participant(user, proposal.assembly)
    if proposal.status not in OPEN_FOR_CHANGE:
        raise ValidationError(_("This proposal can no longer be amended."))
    new_text = text(new_text, limit=20000, field="text")
    if new_text == proposal.body.strip():
        raise ValidationError({"text": _("The amendment does not change the text.")})
    amendment = Amendment.objects.create(
        proposal=proposal,
        author=user,
        base_text=proposal.body,
        text=new_text,
        reason=text(reason, limit=3000, field="reason", required=False),
    )
    Proposal.objects.filter(pk=proposal.pk).update(amendment_count=F("amendment_count") + 1)
    audit_record(actor=user, action="amendment.propose", target=amendment)
    notify.people_tell(
        users=[proposal.author],
        text=_("An amendment to “%(title)s” waits for your answer.") % {"title": proposal.title},
        url=_url(proposal),
        exclude=user,
    )
    return amendment


def _may_decide(user: Any, amendment: Amendment) -> bool:
    proposal = amendment.proposal
    return proposal.author_id == getattr(user, "pk", None) or permissions.is_admin(
        user, proposal.assembly
    )


def amendment_apply(amendment: Amendment) -> None:
    """Write an accepted amendment's text into its proposal (for a vote as much as an author)."""
    Proposal.objects.filter(pk=amendment.proposal_id).update(body=amendment.text)
    Amendment.objects.filter(pk=amendment.pk).update(status=AmendmentStatus.ACCEPTED)


@transaction.atomic
def amendment_accept(*, user: Any, amendment: Amendment) -> Amendment:
    """The proposal's author (or an admin) takes the amendment into the text."""
    amendment = (
        Amendment.objects.select_for_update(of=("self",))
        .select_related("proposal__assembly")
        .get(pk=amendment.pk)
    )
    if not _may_decide(user, amendment):
        raise PermissionDenied(_("Only the proposal's author or the assembly's admins decide."))
    if amendment.status not in (AmendmentStatus.PROPOSED,):
        raise ValidationError(_("This amendment was already decided."))
    proposal = Proposal.objects.select_for_update().get(pk=amendment.proposal_id)
    if proposal.body != amendment.base_text:
        raise ValidationError(
            _(
                "The proposal's text changed since this amendment was written; it must be rewritten against the new text."
            )
        )
    amendment_apply(amendment)
    amendment.refresh_from_db()
    audit_record(actor=user, action="amendment.accept", target=amendment)
    notify.people_tell(
        users=[amendment.author],
        text=_("Your amendment to “%(title)s” was accepted.") % {"title": proposal.title},
        url=_url(proposal),
        exclude=user,
    )
    return amendment


@transaction.atomic
def amendment_decline(*, user: Any, amendment: Amendment) -> Amendment:
    if not _may_decide(user, amendment):
        raise PermissionDenied(_("Only the proposal's author or the assembly's admins decide."))
    updated = Amendment.objects.filter(pk=amendment.pk, status=AmendmentStatus.PROPOSED).update(
        status=AmendmentStatus.DECLINED, decided_by=user
    )
    if not updated:
        raise ValidationError(_("This amendment was already decided."))
    amendment.refresh_from_db()
    audit_record(actor=user, action="amendment.decline", target=amendment)
    return amendment


@transaction.atomic
def argument_post(
    *, user: Any, proposal: Proposal, stance: str, body: str, parent: Argument | None = None
) -> Argument:
    permissions.require_participant(user, proposal.assembly)
    if stance not in Stance.values:
        raise ValidationError({"stance": _("Say whether this is for, against, or a question.")})
    if parent is not None and parent.proposal_id != proposal.pk:
        raise ValidationError(_("A reply must be on the same proposal."))
    argument = Argument.objects.create(
        proposal=proposal,
        parent=parent,
        author=user,
        stance=stance,
        text=text(body, limit=5000, field="text"),
    )
    Proposal.objects.filter(pk=proposal.pk).update(argument_count=F("argument_count") + 1)
    if parent is not None:
        Argument.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
    audit_record(actor=user, action="argument.post", target=argument)
    return argument


@transaction.atomic
def argument_endorse(*, user: Any, argument: Argument) -> Argument:
    """Endorsing an argument is what lifts it among the strongest of its side."""
    permissions.require_participant(user, argument.proposal.assembly)
    try:
        with transaction.atomic():
            Endorsement.objects.create(argument=argument, user=user)
    except IntegrityError:
        return argument
    Argument.objects.filter(pk=argument.pk).update(endorsement_count=F("endorsement_count") + 1)
    audit_record(actor=user, action="argument.endorse", target=argument)
    argument.refresh_from_db()
    return argument
