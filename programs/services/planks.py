"""Proposing a plank in an assembly, and asking another assembly to endorse it."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import permissions
from assemblies.models import Assembly, ProposalStatus
from assemblies.services import proposal_submit
from programs.models import DECIDING, Endorsement, Plank, PlankKind, PlankMotion, PlankStatus
from programs.services.vision import _clean


@transaction.atomic
def plank_propose(
    *, user: Any, assembly: Assembly, title: str, text: str, kind: str = PlankKind.DEMAND
) -> Plank:
    """Put a plank to the assembly as a proposal; adopted, it is in the coalition's program."""
    permissions.require_participant(user, assembly)
    if kind not in PlankKind.values:
        raise ValidationError({"kind": _("Choose what kind of plank this is.")})
    title = _clean(title, limit=200, field="title")
    text = _clean(text, limit=20000, field="text")
    proposal = proposal_submit(user=user, assembly=assembly, title=title, body=text)
    plank = Plank.objects.create(
        assembly=assembly, proposal=proposal, title=title, text=text, kind=kind, created_by=user
    )
    audit_record(actor=user, action="plank.propose", target=plank, data={"proposal": proposal.pk})
    return plank


@transaction.atomic
def plank_endorsement_propose(*, user: Any, plank: Plank, assembly: Assembly) -> PlankMotion:
    """Put "endorse this plank" to another assembly as a proposal of its own; the endorsement
    exists only once that assembly adopts it."""
    permissions.check_visible(user, plank.assembly)
    permissions.require_participant(user, assembly)
    if assembly.pk == plank.assembly_id:
        raise PermissionDenied(
            _("A plank is adopted, not endorsed, by the assembly that proposed it.")
        )
    if plank.status == PlankStatus.PROPOSED and plank.proposal.status == ProposalStatus.WITHDRAWN:
        raise ValidationError(_("This plank was withdrawn by its author."))
    # Locking the plank makes two people asking at once queue, so only one proposal is made.
    Plank.objects.select_for_update().filter(pk=plank.pk).first()
    if Endorsement.objects.filter(plank=plank, assembly=assembly).exists():
        raise ValidationError(_("This assembly already endorses the plank."))
    if PlankMotion.objects.filter(DECIDING, plank=plank, assembly=assembly).exists():
        raise ValidationError(_("This assembly is already deciding whether to endorse it."))
    proposal = proposal_submit(
        user=user,
        assembly=assembly,
        title=(_("Endorse the plank “%(title)s”") % {"title": plank.title})[:200],
        body=_(
            "The assembly endorses this plank, proposed in the assembly of %(origin)s:\n\n%(text)s"
        )
        % {"origin": plank.assembly, "text": plank.text},
    )
    motion = PlankMotion.objects.create(
        plank=plank, assembly=assembly, proposal=proposal, created_by=user
    )
    audit_record(
        actor=user,
        action="plank.endorsement_propose",
        target=plank,
        data={"assembly": assembly.pk, "proposal": proposal.pk},
    )
    return motion
