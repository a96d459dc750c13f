"""Reads for the vision and program pages, limited to what the reader may see. Counts come from
the rows the services keep (Plank.endorsement_count, PlankReach), never from counting
endorsements per request."""

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from assemblies import permissions
from assemblies.models import Assembly, AssemblyPerson, Proposal, ProposalStatus
from coalitions.models import CoalitionLevel, CoalitionProfile, Membership
from directory import permissions as directory_permissions
from places.models import Place
from programs.models import (
    DECIDING,
    GROUP_LEVEL,
    Endorsement,
    Horizon,
    Plank,
    PlankMotion,
    PlankReach,
    PlankStatus,
    SectionChange,
    SectionStatus,
    VisionSection,
)

WIDEST = 30
ENDORSERS_SHOWN = 100
MAP_POINTS = 5000
CHILD_PLACES = 60

# How a count of endorsing assemblies at one level reads: "city or town coalitions".
LEVEL_PLURALS: dict[str, Any] = {
    CoalitionLevel.NEIGHBOURHOOD: _("neighbourhood coalitions"),
    CoalitionLevel.CITY: _("city or town coalitions"),
    CoalitionLevel.COUNTY: _("county or metro coalitions"),
    CoalitionLevel.STATE: _("state or province coalitions"),
    CoalitionLevel.BIOREGION: _("bioregional coalitions"),
    CoalitionLevel.NATION: _("national coalitions"),
    CoalitionLevel.WORLD: _("world coalitions"),
    GROUP_LEVEL: _("groups' own assemblies"),
}
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVEL_PLURALS)}


def get_plank_for_user(user: Any, pk: int) -> Plank:
    plank = get_object_or_404(
        Plank.objects.select_related("assembly__organization", "proposal"), pk=pk
    )
    permissions.check_visible(user, plank.assembly)
    return plank


def get_section_for_user(user: Any, pk: int) -> VisionSection:
    section = get_object_or_404(
        VisionSection.objects.select_related("assembly__organization"), pk=pk
    )
    permissions.check_visible(user, section.assembly)
    return section


# --- A coalition's vision and program ----------------------------------------------------


@dataclass
class HorizonSections:
    horizon: int
    label: Any
    sections: list[VisionSection]


def vision(assembly: Assembly) -> dict[str, Any]:
    """Adopted sections by horizon, drafts being decided, and amendments being decided."""
    sections = list(
        VisionSection.objects.filter(assembly=assembly).exclude(status=SectionStatus.REJECTED)
    )
    pending = {
        change.section_id: change
        for change in SectionChange.objects.filter(
            DECIDING, section__assembly=assembly
        ).select_related("proposal")
    }
    for section in sections:
        section.pending = pending.get(section.pk)  # type: ignore[attr-defined]
    adopted = [s for s in sections if s.status == SectionStatus.ADOPTED]
    return {
        "horizons": [
            HorizonSections(h.value, h.label, [s for s in adopted if s.horizon == h.value])
            for h in Horizon
        ],
        "adopted_count": len(adopted),
        # A draft whose proposal its author withdrew is no longer being decided.
        "drafts": [
            s
            for s in sections
            if s.status == SectionStatus.DRAFT and getattr(s, "pending", None) is not None
        ],
        "amendments": [s for s in adopted if getattr(s, "pending", None) is not None],
    }


def program(assembly: Assembly) -> dict[str, Any]:
    planks = Plank.objects.filter(assembly=assembly).select_related("proposal")
    return {
        "adopted": list(
            planks.filter(status=PlankStatus.ADOPTED).order_by(
                "-endorsement_count", "-place_count", "-id"
            )
        ),
        "proposed": list(
            planks.filter(status=PlankStatus.PROPOSED)
            .exclude(proposal__status=ProposalStatus.WITHDRAWN)
            .order_by("-id")
        ),
        "endorsed": list(
            Endorsement.objects.filter(assembly=assembly)
            .filter(plank__assembly__organization__is_hidden=False)
            .select_related("plank__assembly__organization", "decision")
            .order_by("-id")
        ),
        "deciding": list(
            PlankMotion.objects.filter(DECIDING, assembly=assembly)
            .select_related("plank", "proposal")
            .order_by("-id")
        ),
    }


# --- The widest endorsement ----------------------------------------------------------------


@dataclass
class Ranked:
    plank: Plank
    assemblies: int  # endorsing assemblies in the place asked about (all of them without one)


def widest(place: Place | None = None, *, limit: int = WIDEST) -> list[Ranked]:
    """Planks with the most endorsing assemblies (then the most places), everywhere or at and
    below a place. Only planks some assembly endorsed: an unendorsed plank has no reach."""
    if place is None:
        planks = (
            Plank.objects.public()
            .filter(endorsement_count__gt=0)
            .select_related("assembly__organization")
            .order_by("-endorsement_count", "-place_count", "-id")[:limit]
        )
        return [Ranked(p, p.endorsement_count) for p in planks]
    rows = (
        PlankReach.objects.filter(place=place, level="", assemblies__gt=0)
        .filter(plank__assembly__organization__is_hidden=False)
        .select_related("plank__assembly__organization")
        .order_by("-assemblies", "-plank__place_count", "-plank_id")[:limit]
    )
    return [Ranked(r.plank, r.assemblies) for r in rows]


def recent_planks(*, limit: int = WIDEST) -> list[Plank]:
    return list(
        Plank.objects.public()
        .exclude(status=PlankStatus.REJECTED)
        .exclude(proposal__status=ProposalStatus.WITHDRAWN)
        .select_related("assembly__organization")
        .order_by("-id")[:limit]
    )


# --- A plank's page ------------------------------------------------------------------------


@dataclass
class LevelCount:
    level: str
    label: Any
    endorsing: int
    # Coalitions of that level in the place, when the hub knows them (None for groups).
    of: int | None


@dataclass
class PlaceRollup:
    place: Place
    endorsing: int
    levels: list[LevelCount] = field(default_factory=list)


@dataclass
class Rollup:
    scope: Place | None
    endorsing: int
    levels: list[LevelCount]
    by_kind: dict[str, int]
    children: list[PlaceRollup]
    trail: list[Place]


def _levels(counts: dict[str, int], totals: dict[str, int]) -> list[LevelCount]:
    rows = []
    for level, n in counts.items():
        if not level or n <= 0:
            continue
        of = None if level == GROUP_LEVEL else max(n, totals.get(level, 0))
        rows.append(LevelCount(level, LEVEL_PLURALS.get(level, level), n, of))
    return sorted(rows, key=lambda r: LEVEL_RANK.get(r.level, 99))


def _coalitions_within(scope: Place, levels: set[str]) -> list[tuple[str, int]]:
    """(level, place lft) of each public coalition of those levels whose area is at or below
    the scope: the denominators of "3 of the 4 city coalitions in Oregon"."""
    return list(
        CoalitionProfile.objects.filter(
            scope.contains_q("span__lft"),
            level__in=levels,
            organization__is_hidden=False,
            span__isnull=False,
        ).values_list("level", "span__lft")
    )


def root_place() -> Place | None:
    return Place.objects.tree().filter(parent__isnull=True).order_by("lft").first()


def rollup(plank: Plank, scope: Place | None = None) -> Rollup:
    """Endorsing assemblies at and below a place (the world by default), by level, and the
    same for each place directly inside it, read from the plank's counted rows."""
    scope = scope or root_place()
    by_kind = dict(
        PlankReach.objects.filter(plank=plank, level="", assemblies__gt=0)
        .values("place_kind")
        .annotate(n=Count("id"))
        .values_list("place_kind", "n")
    )
    if scope is None:
        return Rollup(None, plank.endorsement_count, [], by_kind, [], [])
    here = dict(
        PlankReach.objects.filter(plank=plank, place=scope).values_list("level", "assemblies")
    )
    levels_used = {level for level in here if level and level != GROUP_LEVEL}
    within = _coalitions_within(scope, levels_used) if levels_used else []
    totals: dict[str, int] = {}
    for level, _lft in within:
        totals[level] = totals.get(level, 0) + 1
    children_q = (
        Q(place__parent=scope) if not scope.is_overlay else Q(place__in=scope.members.all())
    )
    child_rows = list(
        PlankReach.objects.filter(children_q, plank=plank, level="", assemblies__gt=0)
        .select_related("place")
        .order_by("-assemblies", "place__name")[:CHILD_PLACES]
    )
    children = [PlaceRollup(r.place, r.assemblies) for r in child_rows]
    if children:
        per_child: dict[int, dict[str, int]] = {}
        for row in PlankReach.objects.filter(
            plank=plank, place__in=[c.place for c in children]
        ).exclude(level=""):
            per_child.setdefault(row.place_id, {})[row.level] = row.assemblies
        # Each coalition counted under the child place whose lft range holds its area. A
        # region beside the tree places (Cascadia inside the world) is counted on its own.
        spans = sorted(
            (c.place.lft, c.place.rgt, c.place.pk) for c in children if not c.place.is_overlay
        )
        starts = [s[0] for s in spans]
        child_totals: dict[int, dict[str, int]] = {}
        for level, lft in within:
            i = bisect_right(starts, lft) - 1
            if i >= 0 and lft <= spans[i][1]:
                bucket = child_totals.setdefault(spans[i][2], {})
                bucket[level] = bucket.get(level, 0) + 1
        for child in children:
            if child.place.is_overlay:
                levels = set(per_child.get(child.place.pk, {})) - {GROUP_LEVEL}
                for level, _lft in _coalitions_within(child.place, levels) if levels else []:
                    bucket = child_totals.setdefault(child.place.pk, {})
                    bucket[level] = bucket.get(level, 0) + 1
            child.levels = _levels(
                per_child.get(child.place.pk, {}), child_totals.get(child.place.pk, {})
            )
    trail = [] if scope.is_overlay else scope.ancestors()
    return Rollup(scope, here.get("", 0), _levels(here, totals), by_kind, children, trail + [scope])


def endorsers(plank: Plank, *, limit: int = ENDORSERS_SHOWN) -> list[Endorsement]:
    """The endorsing assemblies of public organizations, newest first."""
    return list(
        Endorsement.objects.filter(plank=plank, assembly__organization__is_hidden=False)
        .select_related("assembly__organization", "place", "decision")
        .order_by("-id")[:limit]
    )


def map_points(plank: Plank) -> list[dict[str, Any]]:
    rows = (
        Endorsement.objects.filter(
            plank=plank,
            assembly__organization__is_hidden=False,
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .order_by("id")
        .values_list(
            "latitude", "longitude", "assembly__organization__name", "assembly__organization__slug"
        )[:MAP_POINTS]
    )
    return [{"lat": lat, "lng": lng, "name": name, "slug": slug} for lat, lng, name, slug in rows]


def motions_in_progress(plank: Plank) -> list[PlankMotion]:
    return list(
        PlankMotion.objects.filter(DECIDING, plank=plank, assembly__organization__is_hidden=False)
        .select_related("assembly__organization", "proposal")
        .order_by("-id")[:ENDORSERS_SHOWN]
    )


def withdrawn(plank: Plank) -> bool:
    """Its author withdrew the plank's proposal before the assembly decided it."""
    return (
        plank.status == PlankStatus.PROPOSED and plank.proposal.status == ProposalStatus.WITHDRAWN
    )


def plank_decisions(plank: Plank) -> QuerySet[Proposal]:
    """The adopted proposals behind a plank: its adoption in the assembly that proposed it and
    each endorsing assembly's decision. A plan made from any of them (`Plan.decision`) is this
    plank's plan, so the plank page can show their progress."""
    endorsed = Endorsement.objects.filter(plank=plank).values("decision_id")
    return (
        Proposal.objects.filter(
            Q(pk=plank.proposal_id) | Q(pk__in=endorsed), status=ProposalStatus.ADOPTED
        )
        .select_related("assembly__organization")
        .order_by("id")
    )


def assemblies_to_endorse_in(user: Any, plank: Plank) -> list[Assembly]:
    """The assemblies in which this person may propose to endorse the plank: those they take
    part in, other than the plank's own and those that endorse it already or are deciding."""
    if not permissions.signed_in(user) or withdrawn(plank):
        return []
    own = directory_permissions.administered_organization_ids(user)
    coalitions = Membership.objects.active().filter(member_id__in=own).values("coalition_id")
    persons = AssemblyPerson.objects.filter(user=user).values("assembly_id")
    busy = list(Endorsement.objects.filter(plank=plank).values_list("assembly_id", flat=True))
    busy += list(
        PlankMotion.objects.filter(DECIDING, plank=plank).values_list("assembly_id", flat=True)
    )
    return list(
        Assembly.objects.filter(
            Q(organization_id__in=own) | Q(organization_id__in=coalitions) | Q(pk__in=persons)
        )
        .exclude(pk=plank.assembly_id)
        .exclude(pk__in=busy)
        .select_related("organization")
        .order_by("organization__name")[:200]
    )
