"""Drafting and amending an assembly's vision, one section at a time, each through a proposal
the assembly decides with its own methods."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import permissions
from assemblies.models import Assembly
from assemblies.services import proposal_submit
from programs.models import (
    DECIDING,
    ChangeKind,
    Horizon,
    SectionChange,
    SectionStatus,
    VisionSection,
)


def _clean(value: str, *, limit: int, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("Keep it under %(n)d characters.") % {"n": limit}})
    return value


@transaction.atomic
def vision_section_draft(
    *, user: Any, assembly: Assembly, horizon: int, title: str, text: str
) -> VisionSection:
    """Put a new section of the vision to the assembly as a proposal; adopting the proposal
    adopts the section (see programs.services.decisions)."""
    permissions.require_participant(user, assembly)
    if horizon not in Horizon.values:
        raise ValidationError({"horizon": _("Choose 10, 20 or 50 years.")})
    title = _clean(title, limit=150, field="title")
    text = _clean(text, limit=20000, field="text")
    label = Horizon(horizon).label
    proposal = proposal_submit(
        user=user,
        assembly=assembly,
        title=(_("Vision, %(horizon)s: %(title)s") % {"horizon": label, "title": title})[:200],
        body=text,
    )
    section = VisionSection.objects.create(
        assembly=assembly, horizon=horizon, title=title, created_by=user
    )
    SectionChange.objects.create(section=section, proposal=proposal, kind=ChangeKind.DRAFT)
    audit_record(actor=user, action="vision.draft", target=section, data={"proposal": proposal.pk})
    return section


@transaction.atomic
def vision_section_amend(*, user: Any, section: VisionSection, text: str) -> SectionChange:
    """Propose a new text for an adopted section. Until its proposal is adopted the section
    keeps the text the assembly adopted before."""
    section = (
        VisionSection.objects.select_for_update().select_related("assembly").get(pk=section.pk)
    )
    assembly = section.assembly
    permissions.require_participant(user, assembly)
    if section.status != SectionStatus.ADOPTED:
        raise ValidationError(
            _("Only an adopted section is amended here; a draft is amended on its proposal.")
        )
    if section.changes.filter(DECIDING).exists():
        raise ValidationError(
            _("An amendment to this section is already being decided; amend that proposal.")
        )
    text = _clean(text, limit=20000, field="text")
    if text == section.text.strip():
        raise ValidationError({"text": _("The new text is the same as the adopted one.")})
    proposal = proposal_submit(
        user=user,
        assembly=assembly,
        title=(_("Amend the vision: %(title)s") % {"title": section.title})[:200],
        body=text,
    )
    change = SectionChange.objects.create(section=section, proposal=proposal, kind=ChangeKind.AMEND)
    audit_record(actor=user, action="vision.amend", target=section, data={"proposal": proposal.pk})
    return change
