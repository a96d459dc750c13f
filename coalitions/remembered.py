"""What a coalition's pages sum up over all its members, remembered per process until the
coalition, one of its members or a coalition in its graph changes."""

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

from coalitions.models import Membership
from directory.models import Organization
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
# More listings changed than this since the last look (a big import): recount rather than
# check each against the members.
CHANGED_AT_MOST = 500


@dataclass
class _Stamp:
    generation: int
    version: int
    looked_at: datetime
    links: int
    # The coalitions in its graph (up and down the levels), whose names and links it shows.
    watched: set[int] = field(default_factory=set)


_stamps: dict[int, _Stamp] = {}
_generations = itertools.count(1)


def _links(coalition: Organization) -> int:
    # Catches a member deleted outright (its memberships go with it, leaving no stamp).
    return Membership.objects.filter(coalition=coalition).count()


def _since(stamp: _Stamp) -> datetime:
    since = stamp.looked_at - LOOK_BACK
    # A file import writes in one transaction of up to an hour (sources/services/runs.py), so
    # its listings are stamped long before anyone can see them: while one runs or since one
    # finished, look back to its start.
    started = ImportRun.objects.filter(
        Q(status=RunStatus.RUNNING) | Q(finished_at__gte=since), started_at__isnull=False
    ).aggregate(first=Min("started_at"))["first"]
    return min(since, started) if started is not None else since


def _unchanged(coalition: Organization, stamp: _Stamp) -> bool:
    changed = list(
        Organization.objects.filter(updated_at__gte=_since(stamp))
        .order_by()
        .values_list("pk", flat=True)[: CHANGED_AT_MOST + 1]
    )
    if len(changed) > CHANGED_AT_MOST:
        return False
    if coalition.pk in changed or stamp.watched.intersection(changed):
        return False
    # A member of this coalition changed, or one of a coalition in its graph (a group there
    # that became a coalition joins the graph).
    around = {coalition.pk, *stamp.watched}
    if (
        changed
        and Membership.objects.filter(coalition_id__in=around, member_id__in=changed).exists()
    ):
        return False
    return _links(coalition) == stamp.links


def _current(coalition: Organization) -> _Stamp:
    """This coalition's stamp, renewed (a new generation) when something it sums changed."""
    version = directory_version()
    with _remembered_lock:
        stamp = _stamps.get(coalition.pk)
    if stamp is not None and stamp.version == version:
        return stamp
    now = timezone.now()
    if stamp is not None and _unchanged(coalition, stamp):
        kept = _Stamp(stamp.generation, version, now, stamp.links, stamp.watched)
    else:
        kept = _Stamp(next(_generations), version, now, _links(coalition))
    with _remembered_lock:
        _stamps[coalition.pk] = kept
    return kept


def remembered(
    coalition: Organization,
    what: str,
    compute: Callable[[], Any],
    watch: Callable[[Any], Iterable[int]] | None = None,
) -> Any:
    """`compute()` for this coalition, or what it gave since nothing it sums changed.

    `watch` names the other coalitions what was computed depends on (the graph's)."""
    # Inside a transaction what is summed may still be rolled back: compute, do not remember.
    if connection.in_atomic_block:
        return compute()
    stamp = _current(coalition)
    key = (coalition.pk, stamp.generation, what)
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
            stamp.watched.update(watch(found))
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
