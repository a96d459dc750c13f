"""Reads of the coalition graph, limited to public listings unless the asker may see more."""

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import RegionalCoordinator
from coalitions.models import CoalitionProfile, Membership, MembershipQuerySet, MembershipStatus
from coalitions.remembered import remembered, tally_of
from coalitions.tally import members_of
from commonweal.paging import Page, page_of
from directory import permissions
from directory.models import IssueArea, Organization, OrganizationKind, OrganizationQuerySet
from directory.selectors import get_organization_for_user
from places.models import Place

MAX_GRAPH_DEPTH = 6
MAX_GRAPH_NODES = 2000


def coalition_members(coalition: Organization) -> OrganizationQuerySet:
    """The public organizations that are active members of `coalition`, by name."""
    return members_of(coalition)


def organization_coalitions(org: Organization) -> OrganizationQuerySet:
    """The public coalitions `org` actively belongs to, by name."""
    return (
        Organization.objects.public()
        .filter(member_links__member=org, member_links__status=MembershipStatus.ACTIVE)
        .order_by("name", "id")
    )


def coalitions_at_place(place: Place) -> OrganizationQuerySet:
    """Coalitions whose home is exactly this place (not places inside it)."""
    return (
        Organization.objects.public().coalitions().filter(home_place=place).order_by("name", "id")
    )


def memberships_for_user(user: Any, org: Organization) -> MembershipQuerySet:
    """Every membership of `org`, either side, pending ones included, for its own admins.

    Others see only active memberships between public listings.
    """
    qs = Membership.objects.select_related("coalition", "member").filter(
        Q(coalition=org) | Q(member=org)
    )
    if permissions.is_organization_admin(user, org):
        return qs.order_by("-created_at")
    return qs.filter(
        status=MembershipStatus.ACTIVE, coalition__is_hidden=False, member__is_hidden=False
    ).order_by("-created_at")


def memberships_awaiting(user: Any) -> MembershipQuerySet:
    """Pending requests and invitations the user can answer (the other side asked)."""
    own = permissions.administered_organization_ids(user)
    if not own:
        return Membership.objects.none()
    return (
        Membership.objects.select_related("coalition", "member")
        .filter(
            Q(status=MembershipStatus.REQUESTED, coalition_id__in=own)
            | Q(status=MembershipStatus.INVITED, member_id__in=own)
        )
        .order_by("created_at")
    )


def containment_path(top: Organization, bottom: Organization) -> list[str] | None:
    """Names along the shortest chain of active memberships from `top` down to `bottom`, or
    None if `bottom` is not inside `top`. Used to explain why a link would close a loop."""
    parent: dict[int, int | None] = {top.pk: None}
    frontier = {top.pk}
    while frontier and bottom.pk not in parent:
        links = Membership.objects.filter(
            coalition_id__in=frontier, status=MembershipStatus.ACTIVE
        ).values_list("coalition_id", "member_id")
        frontier = set()
        for coalition_id, member_id in links:
            if member_id not in parent:
                parent[member_id] = coalition_id
                frontier.add(member_id)
    if bottom.pk not in parent:
        return None
    chain: list[int] = []
    node: int | None = bottom.pk
    while node is not None:
        chain.append(node)
        node = parent[node]
    names = dict(Organization.objects.filter(pk__in=chain).values_list("pk", "name"))
    return [names[pk] for pk in reversed(chain)]


def contained_ids(root_ids: Iterable[int], *, max_depth: int = 64) -> set[int]:
    """Every organization reachable downwards from `root_ids` by active memberships."""
    seen: set[int] = set()
    frontier = set(root_ids)
    for _ in range(max_depth):
        if not frontier:
            break
        children = set(
            Membership.objects.filter(
                coalition_id__in=frontier, status=MembershipStatus.ACTIVE
            ).values_list("member_id", flat=True)
        )
        frontier = children - seen
        seen |= children
    return seen


@dataclass
class CoalitionGraph:
    """Nodes around a coalition: members below it and coalitions above it, to a depth."""

    root: Organization
    nodes: dict[int, Organization] = field(default_factory=dict)
    # (coalition_id, member_id) for each active membership between two nodes.
    edges: list[tuple[int, int]] = field(default_factory=list)
    # Distance from the root: positive below (members), negative above (coalitions it is in).
    levels: dict[int, int] = field(default_factory=dict)
    truncated: bool = False


def coalition_graph(coalition: Organization, depth: int = 2) -> CoalitionGraph:
    depth = max(0, min(depth, MAX_GRAPH_DEPTH))
    graph = CoalitionGraph(
        root=coalition, nodes={coalition.pk: coalition}, levels={coalition.pk: 0}
    )
    edges: set[tuple[int, int]] = set()
    for direction in (1, -1):
        frontier = {coalition.pk}
        for level in range(1, depth + 1):
            if not frontier:
                break
            side = "coalition_id" if direction == 1 else "member_id"
            links: QuerySet = Membership.objects.filter(
                **{f"{side}__in": frontier},
                status=MembershipStatus.ACTIVE,
                coalition__is_hidden=False,
                member__is_hidden=False,
            ).values_list("coalition_id", "member_id")
            next_ids: set[int] = set()
            for coalition_id, member_id in links:
                edges.add((coalition_id, member_id))
                other = member_id if direction == 1 else coalition_id
                if other not in graph.levels:
                    graph.levels[other] = level * direction
                    next_ids.add(other)
            if len(graph.levels) > MAX_GRAPH_NODES:
                graph.truncated = True
                break
            frontier = next_ids
    for org in Organization.objects.public().filter(pk__in=list(graph.levels)):
        graph.nodes[org.pk] = org
    graph.edges = sorted((c, m) for c, m in edges if c in graph.nodes and m in graph.nodes)
    return graph


def is_coalition(org: Organization) -> bool:
    return org.kind == OrganizationKind.COALITION


# --- The coalition's page ------------------------------------------------------------------

MAX_GAPS_SHOWN = 60
MAX_MAP_POINTS = 10_000
TREE_DEPTH = 3


def get_coalition_for_user(user: Any, slug: str) -> Organization:
    """The one access function for a coalition's page: 404 unless a coalition the user may see."""
    org = get_organization_for_user(user, slug)
    if not org.is_coalition:
        raise Http404("No such coalition.")
    return org


def get_membership_for_user(user: Any, pk: int) -> Membership:
    """A membership, for the admins of either side; an active one between public listings is
    public knowledge. Anything else is 404, so pending asks are not revealed."""
    m = Membership.objects.select_related("coalition", "member").filter(pk=pk).first()
    if m is None:
        raise Http404("No such membership.")
    if permissions.is_organization_admin(user, m.coalition) or permissions.is_organization_admin(
        user, m.member
    ):
        return m
    if m.status == MembershipStatus.ACTIVE and not m.coalition.is_hidden and not m.member.is_hidden:
        return m
    raise Http404("No such membership.")


def coalition_profile(coalition: Organization) -> CoalitionProfile | None:
    return CoalitionProfile.objects.select_related("span").filter(organization=coalition).first()


def coalition_span(coalition: Organization) -> Place | None:
    """The area a coalition spans: its profile's region or place, else its home place."""
    profile = coalition_profile(coalition)
    if profile is not None and profile.span is not None:
        return profile.span
    return coalition.home_place


def has_service_areas() -> bool:
    """Listings carry service areas once the directory keeps them; until then pages skip them."""
    return any(f.name == "service_areas" for f in Organization._meta.get_fields())


@dataclass
class MemberSummary:
    """A coalition's members counted by home position and by issue mask, from one grouped
    query: the page's total, coverage and issue mix all read it."""

    total: int
    by_lft: dict[int, int]
    by_mask: dict[int, int]


def member_summary(members: OrganizationQuerySet) -> MemberSummary:
    """One pass of the database over the members, grouped by (home position, issue mask): at
    most one row per member, usually far fewer."""
    rows = members.order_by().values_list("place_lft", "issue_mask").annotate(n=Count("id"))
    return _summary_of(rows)


def _summary_of(rows: Iterable[tuple[int | None, int, int]]) -> MemberSummary:
    """The summary of (home position, issue mask, how many members) rows."""
    total = 0
    by_lft: dict[int, int] = {}
    by_mask: dict[int, int] = {}
    for lft, mask, n in rows:
        total += n
        if lft is not None:
            by_lft[lft] = by_lft.get(lft, 0) + n
        if mask:
            by_mask[mask] = by_mask.get(mask, 0) + n
    return MemberSummary(total=total, by_lft=by_lft, by_mask=by_mask)


def rows_page(members: OrganizationQuerySet, number: int, per_page: int, total: int) -> Page:
    """One page of a subset of a coalition's members (a cluster's), by name, read directly:
    a subset is small enough that remembering its order (see `members_page`) is not worth it."""
    rows = members.select_related("home_place")
    if has_service_areas():
        # Named as a string the type checker cannot see until the field exists everywhere.
        field = "service_areas"
        rows = rows.prefetch_related(field)
    return page_of(rows, number, per_page, total=total)


def members_page(coalition: Organization, number: int, per_page: int) -> Page:
    """One page of a coalition's public members, by name.

    The members' ids in order are kept with their sums (see `tally_of`; 8 bytes a member),
    then only the page's rows are read: sorting thousands of whole rows (descriptions and all) to keep
    fifty cost most of a page (bench/connect, 5,000 members among a million listings on
    SQLite: page 101 spent 76 ms of CPU, page 1 30 ms).
    """
    ordered = _member_order(coalition)
    number = max(1, number)
    start = (number - 1) * per_page
    ids = list(ordered[start : start + per_page])
    rows = Organization.objects.filter(pk__in=ids).select_related("home_place")
    if has_service_areas():
        # Named as a string the type checker cannot see until the field exists everywhere.
        field = "service_areas"
        rows = rows.prefetch_related(field)
    by_id = {org.pk: org for org in rows}
    return Page(
        items=[by_id[pk] for pk in ids if pk in by_id],
        number=number,
        per_page=per_page,
        has_next=len(ordered) > start + per_page,
        total=len(ordered),
    )


@dataclass
class Coverage:
    place: Place
    count: int


@dataclass
class CoverageReport:
    span: Place | None
    covered: list[Coverage]
    gaps: list[Place]
    more_gaps: int = 0
    # Members based in the area itself rather than in one of the places below it.
    at_span: int = 0
    outside: int = 0
    has_sub_places: bool = True
    # Places where no member is based but one serves it (its service areas reach there).
    served: list[Place] = field(default_factory=list)


def _sub_places(span: Place) -> list[Place]:
    if span.is_overlay:
        return list(span.members.all().order_by("lft"))
    return list(Place.objects.tree().filter(parent=span).order_by("lft"))


def _inside(span: Place, lft: int) -> bool:
    if span.is_overlay:
        return any(m.lft <= lft <= m.rgt for m in span.members.all())
    return span.lft <= lft <= span.rgt


def coalition_coverage(
    served_ranges: list[tuple[int, int]], summary: MemberSummary, span: Place | None
) -> CoverageReport:
    """Members counted in each place one level below the coalition's area, and the places
    there with no member at all.

    The summary holds the members grouped by the position of their home in the place tree; the
    places below the area are ranges of those positions, so each group of members falls into
    its place by a binary search.
    """
    if span is None:
        return CoverageReport(span=None, covered=[], gaps=[])
    subs = _sub_places(span)
    starts = [p.lft for p in subs]
    counts = [0] * len(subs)
    at_span = outside = 0
    for lft, n in summary.by_lft.items():
        i = bisect_right(starts, lft) - 1
        if i >= 0 and lft <= subs[i].rgt:
            counts[i] += n
        elif _inside(span, lft):
            at_span += n
        else:
            outside += n
    covered = sorted(
        (Coverage(p, c) for p, c in zip(subs, counts, strict=True) if c),
        key=lambda row: (-row.count, row.place.name),
    )
    gaps = [p for p, c in zip(subs, counts, strict=True) if not c]
    served: list[Place] = []
    if gaps and served_ranges:
        reaches = _reach_test(served_ranges)
        served = [p for p in gaps if reaches(p)]
        gaps = [p for p in gaps if not reaches(p)]
    gaps.sort(key=lambda p: (-(p.population or 0), p.name))
    return CoverageReport(
        span=span,
        covered=covered,
        gaps=gaps[:MAX_GAPS_SHOWN],
        more_gaps=max(0, len(gaps) - MAX_GAPS_SHOWN),
        at_span=at_span,
        outside=outside,
        has_sub_places=bool(subs),
        served=served[:MAX_GAPS_SHOWN],
    )


def _reach_test(ranges: list[tuple[int, int]]) -> Callable[[Place], bool]:
    """Whether a served place reaches a place: it contains it or lies inside it.

    The ranges sorted by start, with the furthest end among those starting at or before each,
    answer both by binary search (a national alliance's members serve some 4,500 places; a
    test of each against each of its gaps took tens of milliseconds).
    """
    ordered = sorted(ranges)
    starts = [lo for lo, _ in ordered]
    furthest: list[int] = []
    for _, hi in ordered:
        furthest.append(max(hi, furthest[-1]) if furthest else hi)

    def reaches(place: Place) -> bool:
        before = bisect_right(starts, place.lft)
        # One starting at or before the place and ending at or after it contains it.
        if before and furthest[before - 1] >= place.rgt:
            return True
        # One starting inside the place lies inside it (ranges nest or are apart).
        return before < len(starts) and starts[before] <= place.rgt

    return reaches


@dataclass
class IssueShare:
    area: IssueArea
    count: int
    percent: int


def coalition_sums(
    coalition: Organization, span: Place | None
) -> tuple[MemberSummary, CoverageReport]:
    """The members' summary and the coverage of `span`, from what each member adds (see
    `tally_of`), remembered until a member changes."""

    def compute() -> tuple[MemberSummary, CoverageReport]:
        tally = tally_of(coalition)
        summary = MemberSummary(
            total=len(tally.facts),
            by_lft={lft: n for lft, n in tally.by_lft.items() if n},
            by_mask={mask: n for mask, n in tally.by_mask.items() if n},
        )
        return summary, coalition_coverage(tally.served_ranges(), summary, span)

    where = span.pk if span is not None else 0
    return remembered(coalition, f"sums:{where}", compute)  # type: ignore[no-any-return]


def _member_order(coalition: Organization) -> "array[int]":
    return tally_of(coalition).order


def coalition_issue_mix(summary: MemberSummary) -> list[IssueShare]:
    """How many members work on each issue area, most common first.

    The summary groups the members by the issue mask the directory keeps beside their issue
    areas; each combination's count goes to the areas whose bits it has, so no join through
    the areas' link table is needed.
    """
    total = summary.total
    per_bit: dict[int, int] = {}
    for mask, n in summary.by_mask.items():
        while mask > 0:
            low = mask & -mask
            bit = low.bit_length() - 1
            per_bit[bit] = per_bit.get(bit, 0) + n
            mask ^= low
    if not per_bit:
        return []
    shares = [
        IssueShare(area=a, count=per_bit[a.bit], percent=round(100 * per_bit[a.bit] / total))
        for a in IssueArea.objects.filter(bit__in=list(per_bit))
    ]
    return sorted(shares, key=lambda share: (-share.count, share.area.name))


def coalition_tree(coalition: Organization, depth: int = TREE_DEPTH) -> CoalitionGraph:
    """Coalitions above and below this one, to `depth` levels: member groups that are not
    coalitions are left out, since a coalition with thousands of them lists them page by page."""
    graph = CoalitionGraph(
        root=coalition, nodes={coalition.pk: coalition}, levels={coalition.pk: 0}
    )
    edges: set[tuple[int, int]] = set()
    # Every coalition's id, read from the kind index alone (no row is read): checking each
    # membership's other side by its row read every member of every coalition on the way down
    # (bench/connect: a national alliance with 5,000 groups and three levels below it,
    # 40 → 12 ms on SQLite). Hidden ones are dropped level by level, among the few found.
    coalitions = set(
        Organization.objects.filter(kind=OrganizationKind.COALITION)
        .order_by()
        .values_list("pk", flat=True)
    )
    for direction in (1, -1):
        frontier = {coalition.pk}
        for level in range(1, depth + 1):
            if not frontier:
                break
            own_side = "coalition" if direction == 1 else "member"
            links = [
                (c, m)
                for c, m in Membership.objects.filter(
                    **{f"{own_side}_id__in": frontier}, status=MembershipStatus.ACTIVE
                ).values_list("coalition_id", "member_id")
                if (m if direction == 1 else c) in coalitions
            ]
            found = {m if direction == 1 else c for c, m in links}
            hidden = set(
                Organization.objects.filter(pk__in=found, is_hidden=True)
                .order_by()
                .values_list("pk", flat=True)
            )
            next_ids: set[int] = set()
            for coalition_id, member_id in links[:MAX_GRAPH_NODES]:
                other = member_id if direction == 1 else coalition_id
                if other in hidden:
                    continue
                edges.add((coalition_id, member_id))
                if other not in graph.levels:
                    graph.levels[other] = level * direction
                    next_ids.add(other)
            frontier = next_ids
    for org in Organization.objects.public().filter(pk__in=list(graph.levels)):
        graph.nodes[org.pk] = org
    graph.edges = sorted((c, m) for c, m in edges if c in graph.nodes and m in graph.nodes)
    return graph


def coalition_map_points(
    coalition: Organization, members: OrganizationQuerySet | None = None
) -> list[dict[str, Any]]:
    """Where the members are (or `members`, a part of them such as an issue cluster), for the
    page's map (fetched after the page has loaded)."""
    rows = (
        (coalition_members(coalition) if members is None else members)
        .exclude(latitude=None)
        .exclude(longitude=None)
        .values_list("name", "slug", "latitude", "longitude")[:MAX_MAP_POINTS]
    )
    return [
        {"name": name, "slug": slug, "lat": round(lat, 4), "lng": round(lng, 4)}
        for name, slug, lat, lng in rows
        if lat is not None and lng is not None
    ]


def coalition_served_points(
    coalition: Organization, members: OrganizationQuerySet | None = None
) -> list[dict[str, Any]]:
    """The places the members (or `members`) serve, as points for the map (empty until
    listings keep them)."""
    if not has_service_areas():
        return []
    through = getattr(Organization, "service_areas").through  # noqa: B009 - see has_service_areas
    members = coalition_members(coalition) if members is None else members
    rows = (
        through.objects.filter(organization_id__in=members.order_by().values("pk"))
        .exclude(place__latitude=None)
        .exclude(place__longitude=None)
        .values_list("organization__name", "place__name", "place__latitude", "place__longitude")
        .order_by("place__name")[:MAX_MAP_POINTS]
    )
    return [
        {"by": by, "name": name, "lat": round(lat, 4), "lng": round(lng, 4)}
        for by, name, lat, lng in rows
    ]


def coalition_pending(user: Any, coalition: Organization) -> MembershipQuerySet:
    """Requests and invitations waiting on either side, for the coalition's admins only."""
    if not permissions.is_organization_admin(user, coalition):
        return Membership.objects.none()
    return (
        Membership.objects.pending().filter(coalition=coalition).select_related("member")
    ).order_by("created_at")


def joinable_groups(
    user: Any, coalition: Organization
) -> list[tuple[Organization, Membership | None]]:
    """The groups the user administers (the coalition itself aside), each with its membership
    in this coalition if it has one, for the page's "how to join" box."""
    own = [pk for pk in permissions.administered_organization_ids(user) if pk != coalition.pk]
    if not own:
        return []
    links = {
        m.member_id: m for m in Membership.objects.filter(coalition=coalition, member_id__in=own)
    }
    orgs = Organization.objects.filter(pk__in=own).order_by("name", "id")
    return [(org, links.get(org.pk)) for org in orgs]


def coordinators_of(place: Place) -> list[RegionalCoordinator]:
    """The people who coordinate this place, directly or through a place or region around it."""
    around: list[int] = [place.pk]
    if not place.is_overlay:
        around += [p.pk for p in place.ancestors()]
        around += list(
            Place.objects.overlays()
            .filter(members__lft__lte=place.lft, members__rgt__gte=place.lft)
            .values_list("pk", flat=True)
        )
    return list(
        RegionalCoordinator.objects.filter(place_id__in=around, user__is_active=True)
        .select_related("user", "place")
        .order_by("place__lft", "place__name", "user__display_name")
    )
