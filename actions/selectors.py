"""Reads of calls, commitments and alerts, limited to what the asking person may see.

Calls and commitments are public, like the listings behind them, except a commitment's street
address, which shows only when the group chose to make it public. Delivery status and the
after-action lists by group are for the people responsible for them.
"""

from __future__ import annotations

import json
import math
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from actions import permissions
from actions.models import (
    Alert,
    CallToAction,
    Commitment,
    CommitmentQuerySet,
    CommitmentState,
    LftTally,
    Subscription,
    TallyChange,
)
from actions.rollup import (
    KIND_CODES,
    PlaceIndex,
    Rollup,
    place_index,
    rollup_from_arrays,
    rollup_from_counts,
)
from directory import permissions as directory_permissions
from directory.models import IssueArea, IssueLink, Organization, OrganizationStatus
from places.models import LEVELS, TREE_KINDS, Place, PlaceKind

GAP_CANDIDATES_MAX = 20_000


def calls_for_user(user: Any) -> QuerySet[CallToAction]:
    qs = CallToAction.objects.select_related("coalition", "scope")
    if directory_permissions.is_site_coordinator(user):
        return qs
    own = directory_permissions.administered_organization_ids(user)
    return qs.filter(Q(coalition__is_hidden=False) | Q(coalition_id__in=own))


def get_call_for_user(user: Any, slug: str, *, write: bool = False) -> CallToAction:
    """The one access function for a call: 404 if unseen, 403 if not the user's to manage."""
    call = calls_for_user(user).filter(slug=str(slug)[:140]).first()
    if call is None:
        raise Http404("No such call to action.")
    if write and not permissions.can_manage_call(user, call):
        raise PermissionDenied("Only the issuing coalition's admins can do this.")
    return call


def get_commitment_for_user(
    user: Any, call: CallToAction, pk: int, *, write: bool = False
) -> Commitment:
    commitment = (
        Commitment.objects.select_related("organization", "call")
        .filter(call=call, pk=pk, organization__is_hidden=False)
        .first()
    )
    if commitment is None:
        raise Http404("No such commitment.")
    if write and not permissions.can_commit(user, commitment.organization):
        raise PermissionDenied("Only this organization's admins can do this.")
    return commitment


def commitments_public(call: CallToAction) -> CommitmentQuerySet:
    return (
        Commitment.objects.active()
        .filter(call=call, organization__is_hidden=False)
        .select_related("organization", "organization__home_place")
        .order_by("event_date", "organization__name", "id")
    )


def commitments_of_user(user: Any, call: CallToAction) -> list[Commitment]:
    own = directory_permissions.administered_organization_ids(user)
    if not own:
        return []
    return list(
        Commitment.objects.filter(call=call, organization_id__in=own)
        .select_related("organization")
        .order_by("organization__name")
    )


def committable_organizations(user: Any) -> list[Organization]:
    own = directory_permissions.administered_organization_ids(user)
    return list(
        Organization.objects.filter(
            pk__in=own, is_hidden=False, status=OrganizationStatus.ACTIVE
        ).order_by("name")
    )


def issuable_coalitions(user: Any) -> list[Organization]:
    own = directory_permissions.administered_organization_ids(user)
    return list(Organization.objects.coalitions().filter(pk__in=own).order_by("name"))


# Roll-up -------------------------------------------------------------------------------------

# Roll-ups are cached per process and per call. A commitment or withdrawal is one logged step
# of the call's `tally_version` (see services._lft_tally), so a cached roll-up catches up by
# applying the steps it missed to the counts and to the JSON entries of the places they touch.
# It recounts from the tallies only when steps are missing (pruned, or a rebuild), too many
# are pending, or the places changed.
STEPS_APPLIED_MAX = 200


@dataclass
class _Live:
    places_version: int
    tally_version: int
    rollup: Rollup
    # kind → (index row or region id → '"slug":n'), built on the first JSON request.
    entries: dict[str, dict[int, str]] | None = None
    # The `"counts":{…}` member of the JSON, rebuilt from `entries` after each catch-up.
    counts_json: bytes | None = None


_cache_lock = threading.Lock()
_live: dict[int, _Live] = {}


def _tallies(call_id: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Sorted positions and counts of a call's active commitments, and the tally version they
    are at, read in one statement so both come from the same snapshot."""
    tallies = connection.ops.quote_name(LftTally._meta.db_table)
    calls = connection.ops.quote_name(CallToAction._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, place_lft, active FROM {tallies} "  # noqa: S608 - fixed identifiers
            "WHERE call_id = %s AND active > 0 AND place_lft IS NOT NULL "
            f"UNION ALL SELECT 1, COALESCE(SUM(active), 0), 0 FROM {tallies} "
            "WHERE call_id = %s AND active > 0 AND place_lft IS NULL "
            f"UNION ALL SELECT 2, tally_version, 0 FROM {calls} WHERE id = %s "
            "ORDER BY 1, 2",
            [call_id, call_id, call_id],
        )
        rows = cursor.fetchall()
    unplaced = version = 0
    while rows and rows[-1][0] != 0:
        tag, value, _ = rows.pop()
        if tag == 1:
            unplaced = int(value)
        else:
            version = int(value)
    flat = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return (
        np.ascontiguousarray(flat[:, 1]),
        np.ascontiguousarray(flat[:, 2]),
        unplaced,
        version,
    )


def _steps(call_id: int, after: int, upto: int) -> list[tuple[int, int | None, int]] | None:
    """The logged steps after `after` up to `upto`, or None if any is missing."""
    rows = list(
        TallyChange.objects.filter(
            call_id=call_id, tally_version__gt=after, tally_version__lte=upto
        )
        .order_by("tally_version")
        .values_list("tally_version", "place_lft", "delta")
    )
    if len(rows) != upto - after:
        return None
    return rows


def _live_for(call: CallToAction, index: PlaceIndex) -> _Live:
    """The call's cached roll-up, brought up to the call's current tally version."""
    row = CallToAction.objects.filter(pk=call.pk).values_list("version", "tally_version").first()
    version, wanted = (int(row[0]), int(row[1])) if row else (0, 0)
    call.version = version
    live = _live.get(call.pk)
    if live is not None and live.places_version == index.version and live.tally_version >= wanted:
        return live
    with _cache_lock:
        live = _live.get(call.pk)
        if live is not None and live.places_version == index.version:
            if live.tally_version >= wanted:
                return live
            if wanted - live.tally_version <= STEPS_APPLIED_MAX:
                steps = _steps(call.pk, live.tally_version, wanted)
                if steps is not None:
                    return _catch_up(call.pk, live, index, steps)
        keys, counts, unplaced, at = _tallies(call.pk)
        fresh = _Live(index.version, at, rollup_from_arrays(index, keys, counts, unplaced))
        if len(_live) > 500:
            _live.clear()
        _live[call.pk] = fresh
        return fresh


def _catch_up(
    call_id: int, live: _Live, index: PlaceIndex, steps: list[tuple[int, int | None, int]]
) -> _Live:
    """A new cache entry with the steps applied. Readers may still hold the old entry's roll-up,
    so its counts are copied rather than changed; the JSON entries are only touched here,
    under the lock, and handed on."""
    rollup = Rollup(
        total=live.rollup.total,
        unplaced=live.rollup.unplaced,
        by_row=dict(live.rollup.by_row),
        regions=dict(live.rollup.regions),
    )
    touched_rows: set[int] = set()
    touched_regions: set[int] = set()
    for _, lft, delta in steps:
        rows, regions = rollup.apply(index, lft, delta)
        touched_rows.update(rows)
        touched_regions.update(regions)
    entries = live.entries
    live.entries = None
    if entries is not None:
        for row in touched_rows:
            code = int(index.kinds[row])
            if code < len(TREE_KINDS):
                kind = TREE_KINDS[code].value
                _set_entry(entries[kind], row, str(index.slugs[row]), rollup.by_row.get(row, 0))
        for pk in touched_regions:
            kind = index.overlays[pk][0]
            slug = index.overlay_slugs.get(pk, str(pk))
            _set_entry(entries.setdefault(kind, {}), pk, slug, rollup.regions.get(pk, 0))
    fresh = _Live(index.version, steps[-1][0], rollup, entries)
    _live[call_id] = fresh
    return fresh


def _set_entry(entries: dict[int, str], key: int, slug: str, n: int) -> None:
    if n:
        entries[key] = f"{json.dumps(slug)}:{n}"
    else:
        entries.pop(key, None)


def _entries(index: PlaceIndex, rollup: Rollup) -> dict[str, dict[int, str]]:
    """JSON entries of every place with commitments, by kind. Slugs are ASCII letters, digits
    and hyphens, so tree places' entries are written directly: encoding a dict of 30,000
    places cost most of a recomputation."""
    entries: dict[str, dict[int, str]] = {kind: {} for kind in KIND_CODES}
    rows = np.fromiter(rollup.by_row, dtype=np.int64, count=len(rollup.by_row))
    kinds = index.kinds[rows]
    slugs = index.slugs[rows]
    for row, code, slug, n in zip(
        rows.tolist(), kinds.tolist(), slugs.tolist(), rollup.by_row.values(), strict=True
    ):
        if code >= len(TREE_KINDS):
            continue  # a kind of place the roll-up does not report
        entries[TREE_KINDS[code].value][row] = f'"{slug}":{n}'
    for pk, n in rollup.regions.items():
        kind = index.overlays[pk][0]
        slug = index.overlay_slugs.get(pk, str(pk))
        entries.setdefault(kind, {})[pk] = f"{json.dumps(slug)}:{n}"
    return entries


def call_rollup(call: CallToAction) -> Rollup:
    """Active commitments counted in every place, kept current per process (see `_Live`)."""
    return _live_for(call, place_index()).rollup


def rollup_json(call: CallToAction) -> bytes:
    """Every place and region with commitments, by kind, as JSON bytes:
    `{"call": …, "total": n, "counts": {"state": {"<slug>": n, …}, …}}`."""
    index = place_index()
    live = _live_for(call, index)
    counts = live.counts_json
    if counts is None:
        with _cache_lock:
            if live.entries is None:
                live.entries = _entries(index, live.rollup)
            counts = ",".join(
                f'"{kind}":{{{",".join(items.values())}}}'
                for kind, items in live.entries.items()
                if items
            ).encode()
            live.counts_json = counts
    head = json.dumps(
        {
            "call": call.slug,
            "state": call.state,
            "total": live.rollup.total,
            "unplaced": live.rollup.unplaced,
            "place_level": call.place_level,
            "min_per_place": call.min_per_place,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return b"".join((head[:-1].encode(), b',"counts":{', counts, b"}}"))


@dataclass
class Progress:
    label: str
    have: int
    need: int

    @property
    def percent(self) -> int:
        return 100 if self.need <= 0 else min(100, int(100 * self.have / self.need))

    @property
    def met(self) -> bool:
        return self.have >= self.need


def call_progress(call: CallToAction) -> list[Progress]:
    """Progress toward each threshold, read from the counters kept on the call row."""
    rows: list[Progress] = []
    if call.min_organizations:
        rows.append(Progress("organizations committed", call.active_count, call.min_organizations))
    if call.min_places:
        each = f" with at least {call.min_per_place} each" if call.min_per_place > 1 else ""
        rows.append(Progress(f"{call.level_label}{each}", call.places_met, call.min_places))
    return rows


@dataclass
class PlaceRow:
    place: Place
    count: int
    meets: bool | None


def _child_kind(scope: Place) -> str:
    if scope.is_overlay:
        return PlaceKind.STATE
    depth = LEVELS.get(scope.kind, 0)
    return TREE_KINDS[min(depth + 1, len(TREE_KINDS) - 1)].value


# A table longer than this lists only the places that have commitments, and says how many
# others have none yet (a state-level call shows every state; a locality-level one cannot).
MAX_PLACE_ROWS = 80


@dataclass
class PlaceTable:
    rows: list[PlaceRow]
    kind_label: str  # what the rows are ("states or provinces"); "" for the places one level down
    without: int  # places of that kind in the scope that have no commitment and are not listed


def _level_ids(call: CallToAction) -> list[int]:
    """Every place of the call's threshold level inside its scope, from the place index."""
    index = place_index()
    scope = call.scope
    ranges = index.ranges(scope) if scope.parent_id is not None or scope.is_overlay else []
    everywhere = not ranges
    level = call.place_level
    if level in KIND_CODES:
        lfts, rgts, ids = index.by_kind.get(level, ([], [], []))
        if everywhere:
            return list(ids)
        found: list[int] = []
        for lo, hi in ranges:
            # lfts are sorted, so the places inside [lo, hi] are one slice of them.
            start, end = bisect_left(lfts, lo), bisect_right(lfts, hi)
            found += [ids[i] for i in range(start, end) if rgts[i] <= hi]
        return found
    return [
        pk
        for pk, (kind, own) in index.overlays.items()
        if kind == level
        and (everywhere or any(a <= hi and lo <= b for a, b in own for lo, hi in ranges))
    ]


def call_place_rows(call: CallToAction) -> PlaceTable:
    """The places that matter for the call: with a place threshold, every place of that level
    inside the scope (every state for a state-level call); without one, the places one level
    below the scope. Places with commitments come first; the rest are listed while the table
    stays short, and counted otherwise."""
    rollup = call_rollup(call)
    if call.place_level:
        candidates = _level_ids(call)
        label = call.level_label
    else:
        scope = call.scope
        members = (
            scope.members.all() if scope.is_overlay else Place.objects.tree().filter(parent=scope)
        )
        candidates = list(members.values_list("pk", flat=True))
        label = ""
    with_counts = [pk for pk in candidates if rollup.count(pk)]
    shown = candidates if len(candidates) <= MAX_PLACE_ROWS else with_counts
    places = Place.objects.in_bulk(shown)
    rows = []
    for pk in shown:
        p = places.get(pk)
        if p is None:
            continue
        n = rollup.count(pk)
        meets = n >= call.min_per_place if call.place_level else None
        rows.append(PlaceRow(p, n, meets))
    rows.sort(key=lambda r: (-r.count, r.place.name))
    return PlaceTable(rows, label, len(candidates) - len(shown))


def call_map_points(call: CallToAction) -> list[dict[str, Any]]:
    """Committed groups with coordinates; a venue's address only where the group made it public."""
    points = []
    for c in commitments_public(call).exclude(organization__latitude__isnull=True):
        org = c.organization
        points.append(
            {
                "lat": org.latitude,
                "lng": org.longitude,
                "name": org.name,
                "url": f"/organizations/{org.slug}/",
                "turnout": c.expected_turnout,
                "date": c.event_date.isoformat() if c.event_date else None,
                "venue": c.venue,
                "address": c.address if c.address_public else "",
            }
        )
    return points


# Coverage gaps -------------------------------------------------------------------------------


@dataclass
class GapCandidate:
    organization: Organization
    shared: int
    related: int
    distance_km: float | None


@dataclass
class Gap:
    place: Place
    candidates: list[GapCandidate]
    total: int


def _popcount(x: int) -> int:
    return bin(x).count("1")


def _related_mask(call: CallToAction) -> int:
    mask = 0
    areas = list(call.issue_areas.all())
    for link in IssueLink.objects.filter(
        Q(from_issue__in=areas) | Q(to_issue__in=areas)
    ).select_related("from_issue", "to_issue"):
        mask |= (1 << link.from_issue.bit) | (1 << link.to_issue.bit)
    return mask & ~call.issue_mask


def _gap_level(call: CallToAction, index: PlaceIndex) -> str:
    if call.place_level in LEVELS:
        return call.place_level
    return _child_kind(call.scope)


def call_gaps(call: CallToAction, *, places: int = 30, per_place: int = 5) -> list[Gap]:
    """Places inside the scope where active groups work on the call's issues (or issues that
    crosshatch with them) but none has committed, with whom to ask first.

    Groups sharing more of the call's issues come first, then those nearest to a group that
    already committed (a neighbour can make the introduction). Places with the most groups to
    ask come first.
    """
    index = place_index()
    level = _gap_level(call, index)
    rollup = call_rollup(call)
    related = _related_mask(call)
    askable = Organization.objects.public().active()
    askable = askable.exclude(commitments__call=call, commitments__state=CommitmentState.ACTIVE)
    qs = askable.filter(call.scope.contains_q("place_lft"))
    wanted = call.issue_mask | related
    rows = list(
        qs.values_list("id", "place_lft", "issue_mask", "latitude", "longitude").order_by("id")[
            : GAP_CANDIDATES_MAX * 4
        ]
    )
    # A group also counts in the places it serves beyond its home (a chapter's ZIP codes).
    served = Organization.service_areas.through.objects.filter(
        call.scope.contains_q("place__lft"), organization__in=askable
    ).values_list(
        "organization_id",
        "place__lft",
        "organization__issue_mask",
        "organization__latitude",
        "organization__longitude",
    )
    rows += list(served.order_by("organization_id")[: GAP_CANDIDATES_MAX * 4])
    if wanted:
        rows = [r for r in rows if r[2] & wanted]
    rows = rows[:GAP_CANDIDATES_MAX]
    committed = list(
        commitments_public(call)
        .exclude(organization__latitude__isnull=True)
        .values_list("organization__latitude", "organization__longitude")
    )
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    counted: set[tuple[int, int]] = set()  # a group once per place, served or based there
    for row in rows:
        for pid in index.containing(row[1], level):
            if rollup.count(pid) == 0 and (pid, row[0]) not in counted:
                counted.add((pid, row[0]))
                grouped.setdefault(pid, []).append(row)
    clat = np.array([c[0] for c in committed], dtype=float)
    clng = np.array([c[1] for c in committed], dtype=float)

    def nearest_km(lat: float | None, lng: float | None) -> float | None:
        if lat is None or lng is None or not len(clat):
            return None
        shrink = math.cos(math.radians(lat))
        d = np.hypot(clat - lat, (clng - lng) * shrink) * 111.195
        return float(d.min())

    order = sorted(grouped, key=lambda pid: (-len(grouped[pid]), pid))[:places]
    place_objs = Place.objects.in_bulk(order)
    best: dict[int, list[tuple[int, int, int, float | None]]] = {}
    for pid in order:
        scored = [
            (
                org_id,
                _popcount(mask & call.issue_mask),
                _popcount(mask & related),
                nearest_km(lat, lng),
            )
            for org_id, _, mask, lat, lng in grouped[pid]
        ]
        scored.sort(key=lambda s: (-s[1], -s[2], math.inf if s[3] is None else s[3], s[0]))
        best[pid] = scored[:per_place]
    orgs = Organization.objects.in_bulk([s[0] for top in best.values() for s in top])
    gaps = []
    for pid in order:
        candidates = [
            GapCandidate(orgs[org_id], shared, rel, dist)
            for org_id, shared, rel, dist in best[pid]
            if org_id in orgs
        ]
        gaps.append(Gap(place_objs[pid], candidates, len(grouped[pid])))
    return gaps


# After action ---------------------------------------------------------------------------------


@dataclass
class AfterAction:
    committed: int
    withdrawn: int
    kept: int
    not_held: int
    unreported: int
    expected_turnout: int
    reported_turnout: int


def call_after_action(call: CallToAction) -> AfterAction:
    qs = Commitment.objects.filter(call=call)
    totals = qs.aggregate(
        committed=Count("id", filter=Q(state=CommitmentState.ACTIVE)),
        withdrawn=Count("id", filter=Q(state=CommitmentState.WITHDRAWN)),
        kept=Count("id", filter=Q(state=CommitmentState.ACTIVE, held=True)),
        not_held=Count("id", filter=Q(state=CommitmentState.ACTIVE, held=False)),
        unreported=Count("id", filter=Q(state=CommitmentState.ACTIVE, reported_at__isnull=True)),
        expected=Sum("expected_turnout", filter=Q(state=CommitmentState.ACTIVE)),
        turnout=Sum("turnout", filter=Q(state=CommitmentState.ACTIVE, held=True)),
    )
    return AfterAction(
        committed=totals["committed"] or 0,
        withdrawn=totals["withdrawn"] or 0,
        kept=totals["kept"] or 0,
        not_held=totals["not_held"] or 0,
        unreported=totals["unreported"] or 0,
        expected_turnout=totals["expected"] or 0,
        reported_turnout=totals["turnout"] or 0,
    )


def call_after_action_rows(user: Any, call: CallToAction) -> list[Commitment] | None:
    """Every commitment with its outcome, for the issuing coalition's admins only."""
    if not permissions.can_manage_call(user, call):
        return None
    return list(
        Commitment.objects.filter(call=call)
        .select_related("organization")
        .order_by("state", "reported_at", "organization__name")
    )


def after_action_by_place(call: CallToAction) -> list[PlaceRow]:
    """Reported turnout rolled up to the places one level below the scope."""
    index = place_index()
    pairs = list(
        Commitment.objects.filter(call=call, state=CommitmentState.ACTIVE, held=True)
        .values_list("place_lft")
        .annotate(n=Sum("turnout"))
        .order_by()
    )
    rollup = rollup_from_counts(index, [(lft, int(n or 0)) for lft, n in pairs])
    base = call.scope
    children = (
        list(base.members.all())
        if base.is_overlay
        else list(Place.objects.tree().filter(parent=base))
    )
    rows = [PlaceRow(p, rollup.count(p.pk), None) for p in children if rollup.count(p.pk)]
    rows.sort(key=lambda r: (-r.count, r.place.name))
    return rows


# Alerts ---------------------------------------------------------------------------------------


def subscriptions_for_user(user: Any) -> QuerySet[Subscription]:
    own = directory_permissions.administered_organization_ids(user)
    return (
        Subscription.objects.filter(Q(user=user) | Q(organization_id__in=own), active=True)
        .select_related("organization", "place")
        .prefetch_related("issue_areas")
        .order_by("-created_at")
    )


def alerts_for_user(user: Any) -> QuerySet[Alert]:
    """Alerts the user sent, or sent in the name of a coalition they administer."""
    if directory_permissions.is_site_coordinator(user):
        return Alert.objects.select_related("place", "sender_organization")
    own = directory_permissions.administered_organization_ids(user)
    return Alert.objects.filter(Q(sent_by=user) | Q(sender_organization_id__in=own)).select_related(
        "place", "sender_organization"
    )


def get_alert_for_user(user: Any, pk: int) -> Alert:
    alert = Alert.objects.select_related("place", "sender_organization").filter(pk=pk).first()
    if alert is None or not permissions.can_see_delivery_status(
        user, alert.sent_by_id, alert.sender_organization
    ):
        raise Http404("No such alert.")
    return alert


def issue_areas() -> list[IssueArea]:
    return list(IssueArea.objects.order_by("name"))
