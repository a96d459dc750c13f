"""What an assembly's decision on a proposal does here: adopt a vision section or its
amendment, put a plank in the program, or record an endorsement and move the rollup counters.

Called by the receiver of `assemblies.signals.proposal_decided`, inside the deciding
transaction: an endorsement commits or rolls back with the vote that made it.
"""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import notify
from assemblies.models import Assembly, Proposal
from coalitions.models import CoalitionProfile
from directory.models import OrganizationAdmin
from places.models import Place
from programs.models import (
    GROUP_LEVEL,
    Endorsement,
    Outcome,
    Plank,
    PlankMotion,
    PlankReach,
    PlankStatus,
    SectionChange,
    SectionStatus,
    VisionSection,
)

# An adoption may follow an earlier rejection (a meeting reverses a vote); a rejection only
# settles what was still open, so a late "no" never undoes an adopted text.
_MAY_ADOPT = [Outcome.PENDING, Outcome.REJECTED]


@transaction.atomic
def proposal_decision_apply(*, proposal: Proposal, adopted: bool, actor: Any) -> None:
    change = SectionChange.objects.filter(proposal=proposal).select_related("section").first()
    if change is not None:
        _section_decided(change, proposal, adopted, actor)
    plank = Plank.objects.filter(proposal=proposal).first()
    if plank is not None:
        _plank_decided(plank, proposal, adopted, actor)
    motion = PlankMotion.objects.filter(proposal=proposal).select_related("plank").first()
    if motion is not None:
        _motion_decided(motion, proposal, adopted, actor)


def _section_decided(change: SectionChange, proposal: Proposal, adopted: bool, actor: Any) -> None:
    now = timezone.now()
    outcome = Outcome.ADOPTED if adopted else Outcome.REJECTED
    allowed = _MAY_ADOPT if adopted else [Outcome.PENDING]
    if not SectionChange.objects.filter(pk=change.pk, outcome__in=allowed).update(
        outcome=outcome, decided_at=now
    ):
        return
    section = change.section
    if adopted:
        # The proposal's text as adopted, with the amendments the assembly took in.
        VisionSection.objects.filter(pk=section.pk).update(
            text=proposal.body, status=SectionStatus.ADOPTED, adopted_at=now
        )
    else:
        VisionSection.objects.filter(pk=section.pk, status=SectionStatus.DRAFT).update(
            status=SectionStatus.REJECTED
        )
    audit_record(
        actor=actor,
        action="vision.adopt" if adopted else "vision.reject",
        target=section,
        data={"proposal": proposal.pk, "kind": change.kind},
    )


def _plank_decided(plank: Plank, proposal: Proposal, adopted: bool, actor: Any) -> None:
    if adopted:
        done = (
            Plank.objects.filter(pk=plank.pk)
            .exclude(status=PlankStatus.ADOPTED)
            .update(status=PlankStatus.ADOPTED, text=proposal.body, adopted_at=timezone.now())
        )
    else:
        done = Plank.objects.filter(pk=plank.pk, status=PlankStatus.PROPOSED).update(
            status=PlankStatus.REJECTED
        )
    if done:
        audit_record(
            actor=actor,
            action="plank.adopt" if adopted else "plank.reject",
            target=plank,
            data={"proposal": proposal.pk},
        )


def _motion_decided(motion: PlankMotion, proposal: Proposal, adopted: bool, actor: Any) -> None:
    outcome = Outcome.ADOPTED if adopted else Outcome.REJECTED
    allowed = _MAY_ADOPT if adopted else [Outcome.PENDING]
    if not PlankMotion.objects.filter(pk=motion.pk, outcome__in=allowed).update(outcome=outcome):
        return
    if adopted:
        endorsement_record(plank=motion.plank, assembly=motion.assembly, decision=proposal)
    audit_record(
        actor=actor,
        action="plank.endorse" if adopted else "plank.endorse_declined",
        target=motion.plank,
        data={"assembly": motion.assembly_id, "proposal": proposal.pk},
    )


def assembly_position(assembly: Assembly) -> tuple[Place | None, str]:
    """Where an assembly sits and at what level: a coalition's area and level, or a group's
    home place."""
    organization = assembly.organization
    profile = (
        CoalitionProfile.objects.filter(organization=organization).select_related("span").first()
    )
    if profile is not None:
        return profile.span or organization.home_place, profile.level
    return organization.home_place, GROUP_LEVEL


def reach_places(place: Place | None) -> list[Place]:
    """The place and every place containing it: its tree ancestors and the regions (such as
    Cascadia) any of them belongs to."""
    if place is None:
        return []
    if place.is_overlay:
        # A coalition spanning a region: the region, and the tree above the region's parent.
        parent = place.parent
        return [place] + ((parent.ancestors() + [parent]) if parent else [])
    tree = place.ancestors() + [place]
    overlays = Place.objects.overlays().filter(members__in=tree).distinct()
    return tree + list(overlays)


def endorsement_record(
    *, plank: Plank, assembly: Assembly, decision: Proposal
) -> Endorsement | None:
    """The endorsement row, the plank's counters and the rollup rows, then a notice to the
    admins of the assembly that proposed the plank."""
    if Endorsement.objects.filter(plank=plank, assembly=assembly).exists():
        return None
    place, level = assembly_position(assembly)
    organization = assembly.organization
    latitude, longitude = organization.latitude, organization.longitude
    if (latitude is None or longitude is None) and place is not None:
        latitude, longitude = place.latitude, place.longitude
    endorsement = Endorsement.objects.create(
        plank=plank,
        assembly=assembly,
        decision=decision,
        place=place,
        level=level,
        latitude=latitude,
        longitude=longitude,
    )
    Plank.objects.filter(pk=plank.pk).update(endorsement_count=F("endorsement_count") + 1)
    for where in reach_places(place):
        for key in (level, ""):
            row, _created = PlankReach.objects.get_or_create(
                plank=plank, place=where, level=key, defaults={"place_kind": where.kind}
            )
            PlankReach.objects.filter(pk=row.pk).update(assemblies=F("assemblies") + 1)
    if place is not None:
        # The first endorsement from this place widens the plank's reach by one place.
        own = PlankReach.objects.get(plank=plank, place=place, level="")
        if own.assemblies == 1:
            Plank.objects.filter(pk=plank.pk).update(place_count=F("place_count") + 1)
    admins = [
        row.user
        for row in OrganizationAdmin.objects.filter(
            organization_id=plank.assembly.organization_id
        ).select_related("user")
    ]
    notify.people_tell(
        users=admins,
        text=_("The assembly of %(name)s endorsed your plank “%(title)s”.")
        % {"name": organization, "title": plank.title},
        url=reverse("programs:plank", args=[plank.pk]),
    )
    return endorsement
