"""Whom to meet: suggestions for a group and for a coalition, each with the reasons in words.

The tie graph is built for the group's neighbourhood only (its county or region and the places
it serves), never for the whole directory: a few hundred nearby listings on related issues, the
coalitions they share and the introductions between them. networkx ranks the pairs (Adamic–Adar
and resource allocation over common ties) and finds the parts of the graph the group is not
linked to (connected components), so no graph algorithm is written here by hand.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coalitions.models import CoalitionLevel, CoalitionProfile, Membership, MembershipStatus
from connections import permissions
from connections.models import Dismissal, Tie
from directory.languages import language_name
from directory.models import IssueArea, Organization, OrganizationKind, OrganizationStatus
from directory.selectors import issue_areas_list
from places.models import OVERLAY_KINDS, Place, PlaceKind
from solidarity.selectors_ties import support_pairs_touching

# How many nearby listings the graph is built over: enough for a town's worth of groups, few
# enough that building and ranking stays well under the 300 ms a page may spend on it.
CANDIDATES = 600
# A coalition with more members than this among the candidates is one hub node in the graph
# rather than a clique, so that a 5,000-member network cannot blow the graph up.
CLIQUE_LIMIT = 120
COALITION_CANDIDATES = 400
LIVE = [MembershipStatus.ACTIVE, MembershipStatus.REQUESTED, MembershipStatus.INVITED]

# The coalition level a place's kind corresponds to, and the order levels go up in.
_LEVEL_OF_KIND: dict[str, str] = {
    PlaceKind.LOCALITY: CoalitionLevel.CITY,
    PlaceKind.COUNTY: CoalitionLevel.COUNTY,
    PlaceKind.STATE: CoalitionLevel.STATE,
    PlaceKind.COUNTRY: CoalitionLevel.NATION,
    PlaceKind.WORLD: CoalitionLevel.WORLD,
    PlaceKind.BIOREGION: CoalitionLevel.BIOREGION,
    PlaceKind.MACROREGION: CoalitionLevel.BIOREGION,
}
_LEVELS = list(CoalitionLevel.values)


@dataclass
class Suggestion:
    kind: str  # "group", "coalition", "place" or "issue"
    key: str  # what a dismissal stores
    name: str
    url: str
    reasons: list[str]
    score: float = 0.0
    pk: int | None = None
    slug: str = ""


@dataclass
class GroupSuggestions:
    org: Organization
    groups: list[Suggestion] = field(default_factory=list)
    coalitions: list[Suggestion] = field(default_factory=list)
    bridges: list[Suggestion] = field(default_factory=list)
    # Why nothing could be suggested, in words for the page; empty when there are suggestions.
    missing: list[str] = field(default_factory=list)


@dataclass
class CoalitionSuggestions:
    coalition: Organization
    groups: list[Suggestion] = field(default_factory=list)
    gap_places: list[Suggestion] = field(default_factory=list)
    gap_issues: list[Suggestion] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


# Small helpers ------------------------------------------------------------------------------


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean earth radius)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def words(items: list[str]) -> str:
    """ "housing", "housing and health", "housing, health and transport"."""
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _bits(mask: int) -> list[int]:
    return [b for b in range(mask.bit_length()) if mask >> b & 1]


def _issues_by_bit() -> dict[int, IssueArea]:
    return {area.bit: area for area in issue_areas_list()}


def _related_mask(mask: int, areas: dict[int, IssueArea]) -> int:
    """The issues that crosshatch with those in `mask` (the taxonomy's cross-links)."""
    related = 0
    for bit in _bits(mask):
        area = areas.get(bit)
        if area is None:
            continue
        for link in area.links_out.all():
            related |= 1 << link.to_issue.bit
        for link in area.links_in.all():
            related |= 1 << link.from_issue.bit
    return related & ~mask


def _names(mask: int, areas: dict[int, IssueArea]) -> list[str]:
    return [areas[b].name.lower() for b in _bits(mask) if b in areas]


def _not_gone() -> Q:
    """Listings still active. Written as "not one of the other statuses" because an equality
    on `status` (nearly every listing is active) leads SQLite without fresh statistics to scan
    the whole status index instead of the place range: 3 s instead of 3 ms at a million."""
    gone = [s for s in OrganizationStatus.values if s != OrganizationStatus.ACTIVE]
    return ~Q(status__in=gone)


def _mask_q(mask: int) -> Q:
    return Q(GreaterThan(F("issue_mask").bitand(mask), 0))


def _ranges_q(ranges: list[tuple[int, int]], fld: str = "place_lft") -> Q:
    q = Q(pk__in=[])
    for lo, hi in ranges:
        q |= Q(**{f"{fld}__gte": lo, f"{fld}__lte": hi})
    return q


def _tree_ranges(place: Place) -> list[tuple[int, int]]:
    if place.is_overlay:
        return [(m.lft, m.rgt) for m in place.members.all()]
    return [(place.lft, place.rgt)]


def _dismissed(owner: Organization) -> set[str]:
    return set(Dismissal.objects.filter(owner=owner).values_list("key", flat=True))


def _neighbourhood(home: Place) -> Place:
    """The county (or the nearest wider place) around a group's home: where its neighbours are."""
    if home.kind in (PlaceKind.LOCALITY,) and home.parent_id is not None:
        parent = Place.objects.filter(pk=home.parent_id).first()
        return parent or home
    return home


def _group_url(slug: str, is_coalition: bool = False) -> str:
    if is_coalition:
        return reverse("coalitions:detail", args=[slug])
    return reverse("organization", args=[slug])


def _require(user: Any, org: Organization) -> None:
    if not permissions.can_see_suggestions(user, org):
        raise PermissionDenied(_("Only this group's admins and coordinators see its suggestions."))


# The tie graph ------------------------------------------------------------------------------


def tie_graph(org_ids: list[int]) -> nx.Graph:
    """The ties among these groups, and their introductions to groups beyond them.

    Two groups are tied when they share a live coalition membership, an introduction both
    accepted, or a delivery of help the receiving group confirmed. Coalitions with many members here become one hub node (named "c<id>") instead of
    a clique; the caller reads shared coalitions from the memberships, not from the graph.
    """
    graph = nx.Graph()
    graph.add_nodes_from(org_ids)
    by_coalition: dict[int, list[int]] = defaultdict(list)
    for coalition_id, member_id in Membership.objects.filter(
        member_id__in=org_ids, status=MembershipStatus.ACTIVE
    ).values_list("coalition_id", "member_id"):
        by_coalition[coalition_id].append(member_id)
    for coalition_id, members in by_coalition.items():
        if len(members) > CLIQUE_LIMIT:
            graph.add_edges_from((f"c{coalition_id}", m) for m in members)
        else:
            graph.add_edges_from((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    graph.add_edges_from(ties_touching(org_ids))
    return graph


def ties_touching(org_ids: list[int]) -> set[tuple[int, int]]:
    """Every tie with one end among these groups: introductions, and confirmed help one gave
    the other. Two key look-ups rather than one query with OR, which PostgreSQL answered an
    order of magnitude slower for a few hundred ids."""
    pairs: set[tuple[int, int]] = set()
    for side in ("low_id__in", "high_id__in"):
        pairs.update(Tie.objects.filter(**{side: org_ids}).values_list("low_id", "high_id"))
    pairs.update(support_pairs_touching(org_ids))
    return pairs


def link_scores(graph: nx.Graph, source: Any, targets: list[Any]) -> dict[Any, tuple[float, float]]:
    """(Adamic–Adar, resource allocation) of each (source, target) pair, from networkx."""
    pairs = [(source, t) for t in targets if t in graph]
    aa = {v: s for _u, v, s in nx.adamic_adar_index(graph, pairs)}
    ra = {v: s for _u, v, s in nx.resource_allocation_index(graph, pairs)}
    return {t: (aa.get(t, 0.0), ra.get(t, 0.0)) for t in targets}


# For a group --------------------------------------------------------------------------------

_FIELDS = ("id", "name", "slug", "latitude", "longitude", "issue_mask", "languages")
_FIELDS_MORE = (*_FIELDS, "home_place_id", "home_place__name", "place_lft")


def suggestions_for_group(user: Any, org: Organization, limit: int = 10) -> GroupSuggestions:
    """Nearby groups on related issues it has no tie with, coalitions it could join at its level
    and the next one up, and groups that bridge to communities its ties do not reach."""
    _require(user, org)
    result = GroupSuggestions(org=org)
    home = Place.objects.filter(pk=org.home_place_id).first() if org.home_place_id else None
    served = list(org.service_areas.exclude(kind__in=OVERLAY_KINDS))
    if home is None and not served:
        result.missing.append(
            _(
                "No suggestions yet: list your issues and service areas (where your group is based and the places it serves)."
            )
        )
        return result
    dismissed = _dismissed(org)
    result.coalitions = _coalitions_to_join(org, home, served, dismissed, limit)
    if not org.issue_mask:
        result.missing.append(
            _(
                "No suggestions of groups yet: list your issues, so that groups on related issues can be found."
            )
        )
        return result
    _groups_to_meet(result, home, served, dismissed, limit)
    return result


def _groups_to_meet(
    result: GroupSuggestions,
    home: Place | None,
    served: list[Place],
    dismissed: set[str],
    limit: int,
) -> None:
    org = result.org
    areas = _issues_by_bit()
    own, related = org.issue_mask, _related_mask(org.issue_mask, areas)
    # Nearest first: the group's own town and the places it serves, then its county if they
    # leave room. In a crowded city the candidates are then its neighbours, not whichever
    # listings of the county the index happens to reach first.
    near_ranges: list[tuple[int, int]] = []
    for place in [home, *served] if home is not None else served:
        near_ranges += _tree_ranges(place)
    candidates = (
        Organization.objects.public()
        .filter(_not_gone())
        .exclude(kind=OrganizationKind.COALITION)
        .exclude(pk=org.pk)
        .filter(_mask_q(own | related))
        .order_by()
    )
    rows = list(candidates.filter(_ranges_q(near_ranges)).values(*_FIELDS_MORE)[:CANDIDATES])
    wider = _neighbourhood(home) if home is not None else None
    if wider is not None and wider.pk != org.home_place_id and len(rows) < CANDIDATES:
        seen = {row["id"] for row in rows}
        more = candidates.filter(_ranges_q(_tree_ranges(wider))).values(*_FIELDS_MORE)[
            : CANDIDATES + len(seen)
        ]
        rows += [row for row in more if row["id"] not in seen][: CANDIDATES - len(rows)]
    if not rows:
        return
    by_id = {row["id"]: row for row in rows}
    graph = tie_graph([org.pk, *by_id])
    mine = set(
        Membership.objects.filter(member=org, status=MembershipStatus.ACTIVE).values_list(
            "coalition_id", flat=True
        )
    )
    tied = set(graph.neighbors(org.pk)) | set(
        Membership.objects.filter(
            coalition_id__in=mine, member_id__in=list(by_id), status=MembershipStatus.ACTIVE
        ).values_list("member_id", flat=True)
    )
    # Who the group's ties are, to say what a candidate brings that none of them has.
    ties_known = [by_id[t] for t in tied if t in by_id]
    outside = [t for t in tied if isinstance(t, int) and t not in by_id]
    if outside:
        ties_known += list(Organization.objects.filter(pk__in=outside[:500]).values(*_FIELDS_MORE))
    tie_languages = set(org.languages or []).union(*(set(t["languages"] or []) for t in ties_known))
    tie_places = {org.home_place_id, *(t["home_place_id"] for t in ties_known)}
    tie_issues = org.issue_mask
    for t in ties_known:
        tie_issues |= t["issue_mask"]
    spans = _coalition_spans(mine)
    open_ids = [pk for pk in by_id if pk not in tied and f"org:{pk}" not in dismissed]
    scores = link_scores(graph, org.pk, open_ids)
    origin = (
        (org.latitude, org.longitude)
        if org.latitude is not None and org.longitude is not None
        else None
    )
    # Each candidate is scored first; the reasons, in words, are written only for those shown
    # (translating and joining them for hundreds of candidates was a third of the work).
    component = {n: i for i, part in enumerate(nx.connected_components(graph)) for n in part}
    reach_of = Counter(component[n] for n in graph if isinstance(n, int))
    reach = _Reach(tie_languages, tie_places, tie_issues, component[org.pk], component, reach_of)
    scored: list[tuple[float, int, dict[str, Any]]] = []
    for pk in open_ids:
        row = by_id[pk]
        facts: dict[str, Any] = {"row": row}
        score = 0.0
        if origin and row["latitude"] is not None and row["longitude"] is not None:
            facts["km"] = km_between(origin, (row["latitude"], row["longitude"]))
            score += 2.0 / (1.0 + facts["km"] / 5.0)
        elif row["home_place_id"] == org.home_place_id and row["home_place__name"]:
            facts["same_place"] = True
            score += 1.0
        facts["shared"] = row["issue_mask"] & own
        score += 2.0 * bin(facts["shared"]).count("1")
        facts["crossing"] = row["issue_mask"] & related
        if facts["crossing"] and not facts["shared"]:
            score += 1.0
        aa, ra = scores.get(pk, (0.0, 0.0))
        score += 1.5 * aa + ra
        facts["span"] = next(
            (
                name
                for name, span_ranges in spans
                if any(lo <= (row.get("place_lft") or -1) <= hi for lo, hi in span_ranges)
            ),
            None,
        )
        bridges = reach.count(row, pk, facts["crossing"])
        score += 0.75 * bridges["scored"]
        facts["bridges"] = bridges
        scored.append((round(score, 4), pk, facts))
    scored.sort(key=lambda item: (-item[0], item[2]["row"]["name"], item[1]))
    shown = scored[:limit]
    shown_ids = {pk for _s, pk, _f in shown}
    # Those reaching the most that the group's ties do not come first.
    reaching = sorted(
        (item for item in scored if item[2]["bridges"]["total"] and item[1] not in shown_ids),
        key=lambda item: (-item[2]["bridges"]["total"], -item[0], item[2]["row"]["name"], item[1]),
    )[:limit]
    names = _common_names(graph, org.pk, [pk for _s, pk, _f in shown + reaching], by_id)

    def render(item: tuple[float, int, dict[str, Any]]) -> Suggestion:
        score, pk, facts = item
        row = facts["row"]
        return Suggestion(
            kind="group",
            key=f"org:{pk}",
            name=row["name"],
            url=_group_url(row["slug"]),
            reasons=_reasons(facts, names.get(pk, []), own, areas)
            + _bridge_reasons(row, facts["bridges"], areas),
            score=score,
            pk=pk,
            slug=row["slug"],
        )

    result.groups = [render(item) for item in shown]
    result.bridges = [render(item) for item in reaching]


def _reasons(
    facts: dict[str, Any], common: list[str], own: int, areas: dict[int, IssueArea]
) -> list[str]:
    reasons: list[str] = []
    if "km" in facts:
        km = facts["km"]
        reasons.append(
            _("less than 1 km away") if km < 1 else _("%(km)d km away") % {"km": round(km)}
        )
    elif facts.get("same_place"):
        reasons.append(_("also in %(place)s") % {"place": facts["row"]["home_place__name"]})
    shared, crossing = facts["shared"], facts["crossing"]
    if shared:
        reasons.append(_("both on %(issues)s") % {"issues": words(_names(shared, areas))})
    if crossing and not shared:
        reasons.append(
            _("works on %(theirs)s, which crosshatches with your %(yours)s")
            % {
                "theirs": words(_names(crossing, areas)),
                "yours": words(_names(own & _related_mask(crossing, areas), areas)),
            }
        )
    if len(common) == 1:
        reasons.append(_("you both work with %(group)s") % {"group": common[0]})
    elif common:
        reasons.append(
            ngettext(
                "you both work with %(group)s and %(n)d other group",
                "you both work with %(group)s and %(n)d other groups",
                len(common) - 1,
            )
            % {"group": common[0], "n": len(common) - 1}
        )
    if facts["span"]:
        reasons.append(_("both in the area of %(coalition)s") % {"coalition": facts["span"]})
    return reasons


@dataclass
class _Reach:
    """What the asking group's ties already reach: languages, places, issues and the part of
    the tie graph they are in."""

    languages: set[str]
    places: set[int | None]
    issues: int
    own_part: int
    part_of: dict[Any, int]
    part_size: Counter[int]

    def count(self, row: dict[str, Any], pk: int, crossing: int) -> dict[str, Any]:
        new_languages = [c for c in (row["languages"] or []) if c not in self.languages]
        found: dict[str, Any] = {
            "languages": new_languages if self.languages else [],
            "place": row["home_place_id"] not in self.places
            and bool(row["home_place__name"])
            and len(self.places) > 1,
            "reach": self.part_size[self.part_of[pk]] - 1
            if self.part_of[pk] != self.own_part
            else 0,
            # An issue next to the group's own that no tie works on reaches a new community
            # too; the crosshatch is scored already, so this one only says so.
            "issues": crossing & ~self.issues,
        }
        found["scored"] = sum(bool(found[k]) for k in ("languages", "place", "reach"))
        found["total"] = found["scored"] + bool(found["issues"])
        return found


def _common_names(
    graph: nx.Graph, source: int, targets: list[int], by_id: dict[int, dict[str, Any]]
) -> dict[int, list[str]]:
    """For each target, the names of the groups both it and the source are tied to."""
    common: dict[int, list[int]] = {}
    for target in targets:
        found = [n for n in nx.common_neighbors(graph, source, target) if isinstance(n, int)]
        if found:
            common[target] = found
    wanted = {n for found in common.values() for n in found if n not in by_id}
    extra = dict(Organization.objects.filter(pk__in=list(wanted)[:500]).values_list("pk", "name"))
    return {
        t: sorted(by_id[n]["name"] if n in by_id else extra.get(n, "") for n in found)
        for t, found in common.items()
    }


def _bridge_reasons(
    row: dict[str, Any], found: dict[str, Any], areas: dict[int, IssueArea]
) -> list[str]:
    """What this group reaches that none of the asking group's ties do, in words."""
    reasons = []
    if found["languages"]:
        reasons.append(
            _("speaks %(language)s, which none of your ties do")
            % {"language": words([language_name(c) for c in found["languages"]])}
        )
    if found["place"]:
        reasons.append(
            _("based in %(place)s, where none of your ties are")
            % {"place": row["home_place__name"]}
        )
    if found["reach"] > 0:
        reasons.append(
            ngettext(
                "linked with %(n)d group none of your ties are linked with",
                "linked with %(n)d groups none of your ties are linked with",
                found["reach"],
            )
            % {"n": found["reach"]}
        )
    if found["issues"]:
        reasons.append(
            _("none of your ties works on %(issues)s")
            % {"issues": words(_names(found["issues"], areas))}
        )
    return reasons


def _coalition_spans(coalition_ids: set[int]) -> list[tuple[str, list[tuple[int, int]]]]:
    spans = []
    for profile in (
        CoalitionProfile.objects.filter(organization_id__in=coalition_ids, span__isnull=False)
        .select_related("organization", "span")
        .prefetch_related("span__members")[:50]
    ):
        assert profile.span is not None
        spans.append((profile.organization.name, _tree_ranges(profile.span)))
    return spans


def _spans_over(place: Place) -> list[int]:
    """The places and regions a coalition could span to cover `place`: the place, each place
    above it (walked up by parent, a handful of key look-ups rather than a range scan of the
    whole tree) and the overlay regions made of any of those."""
    chain = [place.pk]
    parent_id = place.parent_id
    while parent_id is not None and len(chain) < 12:
        chain.append(parent_id)
        parent_id = Place.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    through = Place.members.through
    overlays = through.objects.filter(to_place_id__in=chain).values_list("from_place_id", flat=True)
    return chain + list(overlays)


def _levels_for(org: Organization, home: Place | None) -> list[str]:
    """The group's own level and the next one up."""
    profile = CoalitionProfile.objects.filter(organization=org).first()
    if profile is not None:
        base = profile.level
    elif home is not None:
        base = _LEVEL_OF_KIND.get(home.kind, CoalitionLevel.CITY)
    else:
        base = CoalitionLevel.CITY
    i = _LEVELS.index(base)
    levels = _LEVELS[i : i + 2]
    if base == CoalitionLevel.CITY and profile is None:
        # A local group's neighbours organise at the neighbourhood level too.
        levels.insert(0, CoalitionLevel.NEIGHBOURHOOD)
    return levels


def _coalitions_to_join(
    org: Organization, home: Place | None, served: list[Place], dismissed: set[str], limit: int
) -> list[Suggestion]:
    levels = _levels_for(org, home)
    where: list[tuple[Place, bool]] = [(home, True)] if home is not None else []
    where += [(p, False) for p in served]
    areas = _issues_by_bit()
    taken = set(
        Membership.objects.filter(member=org, status__in=LIVE).values_list(
            "coalition_id", flat=True
        )
    )
    found: dict[int, Suggestion] = {}
    for place, is_home in where[:20]:
        profiles = (
            CoalitionProfile.objects.filter(
                level__in=levels, organization__is_hidden=False, span_id__in=_spans_over(place)
            )
            .exclude(organization_id__in=[*taken, org.pk])
            .select_related("organization", "span")
            .order_by("-span__depth", "organization__name")[:COALITION_CANDIDATES]
        )
        for profile in profiles:
            coalition = profile.organization
            if coalition.pk in found or f"org:{coalition.pk}" in dismissed:
                continue
            rank = levels.index(profile.level)
            reasons = [
                _("covers %(place)s, where you are based") % {"place": place.name}
                if is_home
                else _("covers %(place)s, which you serve") % {"place": place.name}
            ]
            level = profile.get_level_display().lower()
            reasons.append(
                _("a %(level)s coalition, one level up from yours") % {"level": level}
                if profile.level == levels[-1] and len(levels) > 1
                else _("a %(level)s coalition, at your level") % {"level": level}
            )
            score = 2.0 - 0.25 * rank
            shared = coalition.issue_mask & org.issue_mask
            if shared:
                score += 1.5 * bin(shared).count("1")
                reasons.append(_("both on %(issues)s") % {"issues": words(_names(shared, areas))})
            found[coalition.pk] = Suggestion(
                kind="coalition",
                key=f"org:{coalition.pk}",
                name=coalition.name,
                url=_group_url(coalition.slug, True),
                reasons=reasons,
                score=score,
                pk=coalition.pk,
                slug=coalition.slug,
            )
    ranked = sorted(found.values(), key=lambda s: (-s.score, s.name, s.pk or 0))
    return ranked[:limit]
