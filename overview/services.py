"""The rebuild job: counts every public listing once and writes each place's figures.

One grouped scan of the listings gives each home position's counts per issue; the tree's
pre-order numbering then rolls them up from towns to the world in one pass, and overlay
regions add up the maximal places they are made of. Service areas are walked per group (a
group serving ten towns of one county counts once in that county, and not at all where it is
based). Fragile bridges are found per place on the coalition graph inside it, and ties of
support (help one group gave another, confirmed by the receiving group) are counted in every
place holding both groups. Everything is
written in one transaction, so a page shows either the old figures or the new ones.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from actions.models import CallState, Commitment, CommitmentState
from coalitions.models import Membership, MembershipStatus
from directory.models import IssueArea, Organization, OrganizationKind
from directory.selectors import directory_version
from overview.bridges import fragile_bridges
from overview.models import (
    ALL,
    COALITIONS,
    COMMITTED,
    FIGURES,
    HOME,
    RECENT,
    SERVING,
    FragileBridge,
    OverviewBuild,
    PlaceFigures,
    SupportTie,
)
from overview.pages import page_parts_store
from places.models import OVERLAY_KINDS, TREE_KINDS, Place
from solidarity.selectors_ties import support_changed_since, support_ties_public

logger = logging.getLogger("commonweal.overview")

# "Recent activity": a listing updated or confirmed by its group within this window.
RECENT_DAYS = 90
# Fragile bridges kept per place; the page shows the first of them and counts the rest.
BRIDGES_KEPT = 50
# Ties of support kept by name per place, the most deliveries first; the rest are counted.
TIES_KEPT = 20
# The periodic chore rebuilds when listings changed and the figures are at least this old,
# and in any case once they are this old (memberships and commitments move too).
REBUILD_AFTER_CHANGE = timedelta(minutes=5)
REBUILD_ALWAYS = timedelta(hours=1)
BUILDS_KEPT = 50
# A queued or running build older than this is taken as lost (a worker that died).
BUILD_STALL = timedelta(hours=2)

Figures = dict[str, list[int]]


def _add(target: Figures, keys: Iterable[str], position: int, n: int = 1) -> None:
    for key in keys:
        row = target.get(key)
        if row is None:
            row = target[key] = [0] * FIGURES
        row[position] += n


def _merge(target: Figures, source: Figures, positions: Iterable[int]) -> None:
    for key, values in source.items():
        row = target.get(key)
        if row is None:
            row = target[key] = [0] * FIGURES
        for position in positions:
            row[position] += values[position]


class _Tree:
    """The place tree in memory: ids by `lft`, parents, and each place's chain to the root."""

    def __init__(self) -> None:
        self.by_lft: dict[int, int] = {}
        self.parent: dict[int, int | None] = {}
        self.lft: dict[int, int] = {}
        for pk, lft, parent in (
            Place.objects.tree().order_by().values_list("id", "lft", "parent_id")
        ):
            self.by_lft[lft] = pk
            self.parent[pk] = parent
            self.lft[pk] = lft
        self._chains: dict[int, tuple[int, ...]] = {}
        # Overlay regions: their members' ranges, and the members no other member contains.
        self.overlays: dict[int, list[tuple[int, int]]] = {}
        self.overlay_tops: dict[int, list[int]] = {}
        self.overlay_parent: dict[int, int | None] = {}
        through = Place.members.through
        rows = through.objects.filter(from_place__kind__in=OVERLAY_KINDS).values_list(
            "from_place_id", "to_place_id", "to_place__lft", "to_place__rgt"
        )
        members: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for region, member, lft, rgt in rows:
            members[region].append((lft, rgt, member))
        for pk, parent in Place.objects.overlays().values_list("id", "parent_id"):
            self.overlay_parent[pk] = parent
            tops: list[int] = []
            ranges: list[tuple[int, int]] = []
            for lft, rgt, member in sorted(members.get(pk, []), key=lambda r: (r[0], -r[1])):
                if ranges and lft <= ranges[-1][1]:
                    continue  # inside a member already counted
                ranges.append((lft, rgt))
                tops.append(member)
            self.overlays[pk] = ranges
            self.overlay_tops[pk] = tops

    def chain(self, pk: int | None) -> tuple[int, ...]:
        """The place and every place above it."""
        if pk is None:
            return ()
        found = self._chains.get(pk)
        if found is None:
            parent = self.parent.get(pk)
            found = (pk, *self.chain(parent)) if pk in self.parent else ()
            self._chains[pk] = found
        return found

    def chain_of_lft(self, lft: int | None) -> tuple[int, ...]:
        return self.chain(self.by_lft.get(lft)) if lft is not None else ()

    def overlays_holding(self, lft: int | None) -> list[int]:
        if lft is None:
            return []
        return [pk for pk, ranges in self.overlays.items() if any(a <= lft <= b for a, b in ranges)]


def _issue_keys(mask: int, bits: list[int]) -> list[str]:
    return [ALL, *(str(bit) for bit in bits if mask & (1 << bit))]


def _home_counts(tree: _Tree, bits: list[int], now: datetime) -> dict[int, Figures]:
    """Groups (not coalitions) by home place: based there, recently active, committed."""
    cutoff = now - timedelta(days=RECENT_DAYS)
    recent = Q(updated_at__gte=cutoff) | Q(last_confirmed_at__gte=cutoff)
    committed = Q(
        pk__in=Commitment.objects.filter(
            state=CommitmentState.ACTIVE, call__state__in=[CallState.GATHERING, CallState.GO]
        ).values("organization_id")
    )
    # Grouped by position and issue mask (a few issues each, so far fewer groups than rows);
    # each mask's issues are then spread out here. One bitwise sum per issue in SQL instead
    # took several times as long.
    rows = (
        Organization.objects.public()
        .exclude(kind=OrganizationKind.COALITION)
        .filter(place_lft__isnull=False)
        .values_list("place_lft", "issue_mask")
        .annotate(
            n=Count("id"),
            recent=Count("id", filter=recent),
            committed=Count("id", filter=committed),
        )
        .order_by()
    )
    at: dict[int, Figures] = {}
    keys_of: dict[int, list[str]] = {}
    for place_lft, mask, n, n_recent, n_committed in rows.iterator(chunk_size=10_000):
        pk = tree.by_lft.get(place_lft)
        if pk is None:
            continue  # a listing whose place has since been renumbered away
        keys = keys_of.get(mask)
        if keys is None:
            keys = keys_of[mask] = _issue_keys(mask, bits)
        figures = at.get(pk)
        if figures is None:
            figures = at[pk] = {}
        for key in keys:
            row = figures.get(key)
            if row is None:
                row = figures[key] = [0] * FIGURES
            row[HOME] += n
            row[RECENT] += n_recent
            row[COMMITTED] += n_committed
    return at


def _coalition_counts(
    tree: _Tree, bits: list[int], at: dict[int, Figures], regions: dict[int, Figures]
) -> dict[int, tuple[int, ...]]:
    """Coalitions by the area they span (else their home). Returns each coalition's places
    (tree places up to the world, and overlay regions), for the bridges."""
    places_of: dict[int, tuple[int, ...]] = {}
    rows = (
        Organization.objects.public()
        .filter(kind=OrganizationKind.COALITION)
        # No ordering: by name, SQLite would walk the whole name index to find them.
        .order_by()
        .values_list(
            "id",
            "place_lft",
            "issue_mask",
            "coalition_profile__span_id",
            "coalition_profile__span__kind",
            "coalition_profile__span__lft",
        )
    )
    for pk, place_lft, mask, span_id, span_kind, span_lft in rows:
        keys = _issue_keys(mask, bits)
        if span_id is not None and span_kind in OVERLAY_KINDS:
            _add(regions.setdefault(span_id, {}), keys, COALITIONS)
            # Counted at the region's parent (a macro-region's country, else the world); the
            # roll-up carries it further up.
            above = tree.chain(tree.overlay_parent.get(span_id))
            if above:
                _add(at.setdefault(above[0], {}), keys, COALITIONS)
            places_of[pk] = (span_id, *above)
            continue
        lft = span_lft if span_id is not None else place_lft
        pk_place = tree.by_lft.get(lft) if lft is not None else None
        if pk_place is None:
            continue
        # Counted once, at its own place; the roll-up carries it upwards.
        _add(at.setdefault(pk_place, {}), keys, COALITIONS)
        # Regions add up their member places later, this coalition's among them; it is named
        # here only so that the region's bridges see it.
        places_of[pk] = (*tree.chain(pk_place), *tree.overlays_holding(lft))
    return places_of


def _serving_counts(
    tree: _Tree, bits: list[int], serving: dict[int, Figures], regions: dict[int, Figures]
) -> None:
    """Groups counted where their service areas reach but they are not based."""
    through = Organization.service_areas.through
    rows = (
        through.objects.filter(organization__is_hidden=False, place__kind__in=TREE_KINDS)
        .exclude(organization__kind=OrganizationKind.COALITION)
        .values_list(
            "organization_id",
            "organization__place_lft",
            "organization__issue_mask",
            "place_id",
            "place__lft",
        )
        .order_by("organization_id")
    )

    def flush(home_lft: int | None, mask: int, served: set[int], lfts: list[int]) -> None:
        keys = _issue_keys(mask, bits)
        for place in served.difference(tree.chain_of_lft(home_lft)):
            _add(serving.setdefault(place, {}), keys, SERVING)
        home_regions = set(tree.overlays_holding(home_lft))
        for region, ranges in tree.overlays.items():
            if region in home_regions:
                continue
            if any(a <= lft <= b for lft in lfts for a, b in ranges):
                _add(regions.setdefault(region, {}), keys, SERVING)

    current: int | None = None
    home_lft: int | None = None
    mask = 0
    served: set[int] = set()
    lfts: list[int] = []
    for org, org_lft, org_mask, place, place_lft in rows.iterator(chunk_size=5000):
        if org != current:
            if current is not None:
                flush(home_lft, mask, served, lfts)
            current, home_lft, mask, served, lfts = org, org_lft, org_mask, set(), []
        served.update(tree.chain(place))
        lfts.append(place_lft)
    if current is not None:
        flush(home_lft, mask, served, lfts)


def _roll_up(tree: _Tree, at: dict[int, Figures]) -> dict[int, Figures]:
    """Each tree place's figures with everything below it added in: children come after their
    parent in pre-order, so walking `lft` downwards adds every child before its parent moves."""
    totals: dict[int, Figures] = {pk: {k: list(v) for k, v in f.items()} for pk, f in at.items()}
    # Every place above one with figures gets a row, before the walk reaches it.
    for pk in list(totals):
        for above in tree.chain(pk):
            totals.setdefault(above, {})
    for pk in sorted(totals, key=lambda p: tree.lft.get(p, 0), reverse=True):
        parent = tree.parent.get(pk)
        if parent is not None:
            _merge(totals.setdefault(parent, {}), totals[pk], (HOME, RECENT, COMMITTED, COALITIONS))
    return totals


def _bridges(
    tree: _Tree, places_of: dict[int, tuple[int, ...]]
) -> dict[int, list[tuple[int, int, int, int, tuple[int, ...]]]]:
    """Per place, its fragile bridges: (group, first coalition, second, parts, coalitions)."""
    coalitions = set(places_of)
    links = Membership.objects.filter(
        status=MembershipStatus.ACTIVE,
        coalition_id__in=coalitions,
        member__is_hidden=False,
    ).values_list("coalition_id", "member_id")
    members: dict[int, list[int]] = defaultdict(list)
    belongs: dict[int, int] = defaultdict(int)
    for coalition, member in links.iterator(chunk_size=10_000):
        members[coalition].append(member)
        belongs[member] += 1
    # A group in one coalition only links nothing anywhere: dropped before any graph is made.
    for coalition, ids in members.items():
        members[coalition] = [m for m in ids if m in coalitions or belongs[m] >= 2]
    inside: dict[int, list[int]] = defaultdict(list)
    for coalition, places in places_of.items():
        if members.get(coalition):
            for place in places:
                inside[place].append(coalition)
    names = dict(
        Organization.objects.filter(pk__in=coalitions)
        .order_by()
        .values_list("id", "name")
        .iterator()
    )
    found: dict[int, list[tuple[int, int, int, int, tuple[int, ...]]]] = {}
    for place, cs in inside.items():
        if len(cs) < 2:
            continue
        edges = [(c, m) for c in cs for m in members[c]]
        bridges = fragile_bridges(edges, coalitions, names)
        if bridges:
            found[place] = [(b.group, b.first, b.second, b.parts, b.coalitions) for b in bridges]
    return found


TieRow = tuple[int, int, int]


def _support_ties(tree: _Tree) -> tuple[dict[int, int], dict[int, list[TieRow]]]:
    """Per place, how many pairs of groups based inside it are tied by help one gave the
    other, and the pairs both groups show, to name: (helper, helped, deliveries), the most
    deliveries (then the latest) first. A pair counts in every place holding both groups."""
    counts: dict[int, int] = defaultdict(int)
    named: dict[int, list[tuple[int, float, int, int]]] = defaultdict(list)
    regions: dict[int, set[int]] = {}

    def regions_of(lft: int) -> set[int]:
        found = regions.get(lft)
        if found is None:
            found = regions[lft] = set(tree.overlays_holding(lft))
        return found

    for tie in support_ties_public():
        if tie.helper_lft is None or tie.helped_lft is None:
            continue
        both = set(tree.chain_of_lft(tie.helper_lft)).intersection(
            tree.chain_of_lft(tie.helped_lft)
        )
        both |= regions_of(tie.helper_lft) & regions_of(tie.helped_lft)
        latest = tie.last.timestamp() if tie.last is not None else 0.0
        for place in both:
            counts[place] += 1
            if tie.shown:
                named[place].append((tie.deliveries, latest, tie.helper, tie.helped))
    kept = {
        place: [(a, b, n) for n, _t, a, b in sorted(rows, reverse=True)[:TIES_KEPT]]
        for place, rows in named.items()
    }
    return dict(counts), kept


def _figures(tree: _Tree, now: datetime) -> tuple[dict[int, Figures], dict[int, tuple[int, ...]]]:
    bits = sorted(IssueArea.objects.values_list("bit", flat=True))
    at = _home_counts(tree, bits, now)
    regions: dict[int, Figures] = {}
    places_of = _coalition_counts(tree, bits, at, regions)
    totals = _roll_up(tree, at)
    # Overlay regions: the sum of their maximal members (a member inside another is skipped).
    for region, tops in tree.overlay_tops.items():
        figures = regions.setdefault(region, {})
        for member in tops:
            _merge(figures, totals.get(member, {}), (HOME, RECENT, COMMITTED, COALITIONS))
    serving: dict[int, Figures] = {}
    _serving_counts(tree, bits, serving, regions)
    for place, figures in serving.items():
        _merge(totals.setdefault(place, {}), figures, (SERVING,))
    totals.update({pk: f for pk, f in regions.items() if f})
    return totals, places_of


@transaction.atomic
def _write(
    figures: dict[int, Figures],
    bridges: dict[int, list[Any]],
    ties: tuple[dict[int, int], dict[int, list[TieRow]]] = ({}, {}),
) -> None:
    PlaceFigures.objects.all().delete()
    FragileBridge.objects.all().delete()
    SupportTie.objects.all().delete()
    tie_counts, tie_rows = ties
    rows = []
    for place, f in figures.items():
        every = f.get(ALL, [0] * FIGURES)
        if not any(every) and place not in bridges and place not in tie_counts:
            continue  # a missing row reads as zeros
        rows.append(
            PlaceFigures(
                place_id=place,
                groups=every[HOME],
                serving=every[SERVING],
                coalitions=every[COALITIONS],
                committed=every[COMMITTED],
                recent=every[RECENT],
                figures={k: v for k, v in f.items() if any(v)},
                bridges=len(bridges.get(place, [])),
                ties=tie_counts.get(place, 0),
            )
        )
    for place in (bridges.keys() | tie_counts.keys()) - figures.keys():
        rows.append(
            PlaceFigures(
                place_id=place,
                bridges=len(bridges.get(place, [])),
                ties=tie_counts.get(place, 0),
            )
        )
    PlaceFigures.objects.bulk_create(rows, batch_size=2000)
    SupportTie.objects.bulk_create(
        (
            SupportTie(place_id=place, helper_id=a, helped_id=b, deliveries=n, rank=rank)
            for place, found in tie_rows.items()
            for rank, (a, b, n) in enumerate(found)
        ),
        batch_size=2000,
    )
    FragileBridge.objects.bulk_create(
        (
            FragileBridge(
                place_id=place,
                group_id=group,
                first_id=first,
                second_id=second,
                parts=parts,
                coalition_ids=list(cs),
                rank=rank,
            )
            for place, found in bridges.items()
            for rank, (group, first, second, parts, cs) in enumerate(found[:BRIDGES_KEPT])
        ),
        batch_size=2000,
    )


def overview_rebuild(*, build: OverviewBuild | None = None) -> OverviewBuild:
    """Recount every place's figures and fragile bridges from the listings (the full rebuild:
    `commonweal overview rebuild`, and the periodic chore through a background task)."""
    now = timezone.now()
    if build is None:
        build = OverviewBuild.objects.create()
    started = time.monotonic()
    build.started_at = now
    build.directory_version = directory_version()
    build.save(update_fields=["started_at", "directory_version"])
    try:
        tree = _Tree()
        figures, places_of = _figures(tree, now)
        bridges = _bridges(tree, places_of)
        # Group names order each place's bridges on the page.
        _write(figures, _order_bridges(bridges), _support_ties(tree))
    except Exception as error:
        build.error = repr(error)[:2000]
        build.save(update_fields=["error"])
        raise
    build.finished_at = timezone.now()
    build.seconds = round(time.monotonic() - started, 3)
    build.places = PlaceFigures.objects.count()
    build.save(update_fields=["finished_at", "seconds", "places"])
    # The widest pages' first view, worked out here rather than in each web process. The
    # figures are written either way: without these a page is worked out on request.
    try:
        page_parts_store(build=build)
    except Exception:
        logger.exception("overview pages ahead failed for build %s", build.pk)
    # The log of runs is for seeing how long they take and why one failed: the recent ones do.
    keep = OverviewBuild.objects.order_by("-id").values_list("id", flat=True)[BUILDS_KEPT - 1 :]
    oldest_kept = keep.first()
    if oldest_kept is not None:
        OverviewBuild.objects.filter(id__lt=oldest_kept).delete()
    return build


def _order_bridges(
    bridges: dict[int, list[tuple[int, int, int, int, tuple[int, ...]]]],
) -> dict[int, list[tuple[int, int, int, int, tuple[int, ...]]]]:
    groups = {b[0] for found in bridges.values() for b in found}
    names = dict(Organization.objects.filter(pk__in=groups).order_by().values_list("id", "name"))
    return {
        place: sorted(found, key=lambda b: (-b[3], names.get(b[0], "").lower(), b[0]))
        for place, found in bridges.items()
    }


def overview_tick(*, now: datetime | None = None) -> OverviewBuild | None:
    """The periodic chore (run by `commonweal worker`): queue a rebuild when listings changed
    since the last one and it is a few minutes old, or when it is an hour old. The rebuild
    itself runs as a background task, so the supervisor's loop never waits on it."""
    from overview.tasks import overview_rebuild_task

    now = now or timezone.now()
    pending = OverviewBuild.objects.filter(finished_at__isnull=True, error="")
    if pending.filter(queued_at__gte=now - BUILD_STALL).exists():
        return None
    last = OverviewBuild.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    if last is not None and last.finished_at is not None:
        age = now - last.finished_at
        # Help confirmed between groups changes the ties the pages count, as listings do.
        changed = last.directory_version != directory_version() or (
            last.started_at is not None and support_changed_since(last.started_at)
        )
        if age < REBUILD_ALWAYS and not (changed and age >= REBUILD_AFTER_CHANGE):
            return None
    build = OverviewBuild.objects.create()
    transaction.on_commit(lambda: overview_rebuild_task.enqueue(build.pk))
    return build
