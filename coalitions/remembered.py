"""What a coalition's pages sum up over all its members, remembered per process until the
coalition, one of its members or a coalition in its graph changes; when members change, the
sums are adjusted by what those members add (tally.py) rather than counted again."""

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Min, Q
from django.utils import timezone

from coalitions.models import Membership, MembershipStatus
from coalitions.tally import Tally, active_count, tally_adjust, tally_build
from directory.models import Organization, OrganizationKind
from directory.selectors import directory_version
from sources.models import ImportRun, RunStatus

# What a coalition's pages sum up over all its members, per process: (coalition, generation,
# what) → the sums, the graph, the map's points. With 5,000 members these took most of the
# page's time (bench/connect, SQLite: about 110 of 165 ms of CPU for the page, 120 ms for its
# map), and whom-to-meet for a coalition needs the same coverage.
_remembered: "OrderedDict[tuple[int, int, str], Any]" = OrderedDict()
_remembered_lock = threading.Lock()
REMEMBERED = 1024

# Every listing or membership change anywhere moves the directory version, and a directory of
# a million listings changes all day. Dropping every coalition's sums on each change made the
# next view of a big coalition recount (bench/connect: p95 122 ms on SQLite, 160 on
# PostgreSQL). So when the version moves, a coalition asks only whether anything *it* sums has
# changed since it last looked: every write to a listing stamps its `updated_at` (membership
# steps stamp both sides), which is indexed, so the listings changed since then are few and
# found without touching the 5,000 members.
#
# A write is stamped with the writing process's clock before its transaction commits; looking
# back further than the time between the two covers both clock drift and a slow commit.
LOOK_BACK = timedelta(minutes=2)
#
# What changed then moves only what depends on it: the members' sums are adjusted by the
# changed members alone (a recount of 5,030 cost ≈ 100 ms of CPU, the adjustment a few), and
# the graph, which shows coalitions only, is drawn again only when one of them or their links
# changed.
#
# More listings changed than this since the last look (a big import): recount rather than
# check each against the members.
CHANGED_AT_MOST = 500


@dataclass
class _Stamp:
    version: int
    looked_at: datetime
    # Active memberships when it last looked.
    links: int
    # Generations: what sums the members (sums, their order, the map) and the graph move
    # apart, since a member's listing change does not change the graph.
    members: int
    graph: int
    # The coalitions in its graph (up and down the levels, itself included), whose links it
    # shows, each with what the drawing shows of it.
    watched: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    # The links drawn between them, (coalition, member).
    edges: set[tuple[int, int]] = field(default_factory=set)
    # What each member adds to the sums, adjusted rather than recounted (see tally.py).
    tally: Tally | None = None
    # The listings found changed at the last look, by their stamps: looking back again finds
    # them again, and a stamp already looked at is no change (that write committed before).
    seen: dict[int, datetime] = field(default_factory=dict)


_stamps: dict[int, _Stamp] = {}
_generations = itertools.count(1)


def _since(looked_at: datetime) -> datetime:
    since = looked_at - LOOK_BACK
    # A file import writes in one transaction of up to an hour (sources/services/runs.py), so
    # its listings are stamped long before anyone can see them: while one runs or since one
    # finished, look back to its start.
    started = ImportRun.objects.filter(
        Q(status=RunStatus.RUNNING) | Q(finished_at__gte=since), started_at__isnull=False
    ).aggregate(first=Min("started_at"))["first"]
    return min(since, started) if started is not None else since


def _changed(looked_at: datetime) -> dict[int, datetime] | None:
    """The listings stamped since the last look (with their stamps), or None if too many to
    check one by one."""
    rows = (
        Organization.objects.filter(updated_at__gte=_since(looked_at))
        .order_by()
        .values_list("pk", "updated_at")[: CHANGED_AT_MOST + 1]
    )
    changed = dict(rows)
    return None if len(changed) > CHANGED_AT_MOST else changed


def drawn(org: Organization) -> tuple[Any, ...]:
    """What the graph shows of a coalition in it."""
    return (org.name, org.slug, org.kind, org.is_hidden)


def _graph_unchanged(coalition: Organization, stamp: _Stamp, changed: list[int]) -> bool:
    around = {coalition.pk, *stamp.watched}
    # One deleted outright is not stamped, and its links go with it.
    if len(stamp.watched) > 1 and Organization.objects.filter(pk__in=around).count() != len(around):
        return False
    if not changed:
        return True
    # A coalition in the graph was stamped: a membership step stamps both sides, so mostly a
    # group joined or left it, which the graph (coalitions only) does not show. What counts
    # is what is drawn of it and its links to the others drawn.
    mentioned = around.intersection(changed)
    if mentioned:
        now = {
            org.pk: drawn(org)
            for org in Organization.objects.filter(pk__in=mentioned).only(
                "name", "slug", "kind", "is_hidden"
            )
        }
        if any(now.get(pk) != stamp.watched.get(pk) for pk in mentioned):
            return False
        # Looked up from the member side (its index): a coalition's own side holds all its
        # 5,000 groups (PostgreSQL: 26 ms when asked the other way round).
        links = set(
            Membership.objects.filter(
                Q(coalition_id__in=mentioned) | Q(member_id__in=mentioned),
                member_id__in=around,
                coalition_id__in=around,
                status=MembershipStatus.ACTIVE,
            ).values_list("coalition_id", "member_id")
        )
        if links != {(c, m) for c, m in stamp.edges if c in mentioned or m in mentioned}:
            return False
    # One not drawn yet: a coalition (or a group that became one, or a hidden one shown
    # again) linked below one in the graph, or any linked above.
    # Two small lookups, each from the few changed ones' side, rather than one with OR
    # (PostgreSQL: 25-40 ms).
    outside = set(changed) - around
    if not outside:
        return True
    if Membership.objects.filter(member_id__in=around, coalition_id__in=outside).exists():
        return False
    coalitions = list(
        Organization.objects.filter(pk__in=outside, kind=OrganizationKind.COALITION)
        .order_by()
        .values_list("pk", flat=True)
    )
    return not (
        coalitions
        and Membership.objects.filter(member_id__in=coalitions, coalition_id__in=around).exists()
    )


def _members_moved(
    coalition: Organization, stamp: _Stamp, changed: list[int], links: int
) -> tuple[bool, Tally | None]:
    """Whether what sums the members changed, and the tally adjusted to the changes."""
    if stamp.tally is not None:
        adjusted = tally_adjust(stamp.tally, coalition, changed, count=links)
        return adjusted is not stamp.tally, adjusted
    moved = links != stamp.links or (
        bool(changed)
        and Membership.objects.filter(coalition=coalition, member_id__in=changed).exists()
    )
    return moved, None


def _current(coalition: Organization) -> _Stamp:
    """This coalition's stamp, with a new generation of what changed since its last look."""
    version = directory_version()
    with _remembered_lock:
        stamp = _stamps.get(coalition.pk)
    if stamp is not None and stamp.version == version:
        return stamp
    now = timezone.now()
    links = active_count(coalition)
    # A first look takes note of what was stamped lately, so that the next look does not
    # take those stamps for changes since.
    stamped = _changed(stamp.looked_at if stamp is not None else now)
    if stamp is None or stamped is None:
        fresh = next(_generations), next(_generations)
        kept = _Stamp(version, now, links, *fresh, seen=stamped or {})
    else:
        changed = [pk for pk, at in stamped.items() if stamp.seen.get(pk) != at]
        moved, tally = _members_moved(coalition, stamp, changed, links)
        members = next(_generations) if moved else stamp.members
        if _graph_unchanged(coalition, stamp, changed):
            graph, watched, edges = stamp.graph, stamp.watched, stamp.edges
        else:
            graph, watched, edges = next(_generations), {}, set()
        kept = _Stamp(version, now, links, members, graph, watched, edges, tally, stamped)
    with _remembered_lock:
        _stamps[coalition.pk] = kept
    return kept


def tally_of(coalition: Organization) -> Tally:
    """What each member adds to the coalition's sums, as of now."""
    if connection.in_atomic_block:
        # What is summed may still be rolled back: count, do not keep.
        return tally_build(coalition)
    stamp = _current(coalition)
    if stamp.tally is None:
        # Two threads may both count; they find the same.
        stamp.tally = tally_build(coalition)
    return stamp.tally


def remembered(
    coalition: Organization,
    what: str,
    compute: Callable[[], Any],
    watch: Callable[[Any], tuple[Iterable[Organization], Iterable[tuple[int, int]]]] | None = None,
) -> Any:
    """`compute()` for this coalition, or what it gave since nothing it sums changed.

    What is called "graph" depends on the coalitions around it and their links, which `watch`
    gives; anything else on its members."""
    # Inside a transaction what is summed may still be rolled back: compute, do not remember.
    if connection.in_atomic_block:
        return compute()
    stamp = _current(coalition)
    key = (coalition.pk, stamp.graph if what == "graph" else stamp.members, what)
    with _remembered_lock:
        found = _remembered.get(key)
        if found is not None:
            _remembered.move_to_end(key)
            return found
    found = compute()
    # Server threads share the dictionary; two computing one page at once store equal values.
    with _remembered_lock:
        _remembered[key] = found
        if watch is not None:
            nodes, edges = watch(found)
            stamp.watched.update((org.pk, drawn(org)) for org in nodes)
            stamp.edges.update(edges)
        while len(_remembered) > REMEMBERED:
            _remembered.popitem(last=False)
        if len(_stamps) > REMEMBERED:
            _stamps.clear()
    return found


def forget() -> None:
    """Drop everything remembered (tests, benches)."""
    with _remembered_lock:
        _remembered.clear()
        _stamps.clear()
