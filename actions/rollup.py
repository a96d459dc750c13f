"""Counting commitments at every level of the place tree and in overlay regions.

Every tree place is an integer range `lft..rgt` and every commitment carries its organization's
`lft`. With the commitments' `lft`s sorted and prefix-summed, the count inside any place is two
binary searches, so one vectorised pass over all places' ranges rolls a call up everywhere at
once. The place arrays are per process and reload when the places version changes.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from places.models import OVERLAY_KINDS, TREE_KINDS, Place, PlacesState

KIND_CODES = {kind.value: code for code, kind in enumerate(TREE_KINDS)}


@dataclass
class PlaceIndex:
    version: int
    ids: np.ndarray
    lfts: np.ndarray
    rgts: np.ndarray
    kinds: np.ndarray
    slugs: np.ndarray
    # Per tree kind: (sorted lfts, rgts, ids) of the places of that kind.
    by_kind: dict[str, tuple[list[int], list[int], list[int]]]
    # Overlay regions: id → (kind, merged member ranges).
    overlays: dict[int, tuple[str, list[tuple[int, int]]]] = field(default_factory=dict)
    overlay_slugs: dict[int, str] = field(default_factory=dict)
    # by_kind as arrays, made on first use (see rollup_level).
    kind_arrays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def arrays_of(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found = self.kind_arrays.get(kind)
        if found is None:
            lfts, rgts, ids = self.by_kind.get(kind, ([], [], []))
            found = self.kind_arrays[kind] = (
                np.asarray(lfts, dtype=np.int64),
                np.asarray(rgts, dtype=np.int64),
                np.asarray(ids, dtype=np.int64),
            )
        return found

    def containing(self, lft: int | None, kind: str) -> list[int]:
        """The places of `kind` that hold the tree position `lft` (several for regions)."""
        if lft is None:
            return []
        if kind in KIND_CODES:
            lfts, rgts, ids = self.by_kind.get(kind, ([], [], []))
            i = bisect_right(lfts, lft) - 1
            return [ids[i]] if i >= 0 and rgts[i] >= lft else []
        return [
            pk
            for pk, (okind, ranges) in self.overlays.items()
            if okind == kind and any(lo <= lft <= hi for lo, hi in ranges)
        ]

    def ranges(self, place: Place) -> list[tuple[int, int]]:
        if place.is_overlay:
            found = self.overlays.get(place.pk)
            return list(found[1]) if found else []
        return [(place.lft, place.rgt)]


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or nested ranges joined, so nothing inside them is counted twice."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _places_version() -> int:
    version = PlacesState.objects.values_list("version", flat=True).order_by("pk").first()
    return int(version or 0)


def _build(version: int) -> PlaceIndex:
    table = connection.ops.quote_name(Place._meta.db_table)
    overlay_kinds = [k.value for k in OVERLAY_KINDS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, lft, rgt, kind, slug FROM {table} "  # noqa: S608 - fixed identifiers
            f"WHERE kind NOT IN (%s, %s) ORDER BY lft",
            overlay_kinds,
        )
        rows = cursor.fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    lfts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    rgts = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    kinds = np.fromiter((KIND_CODES.get(r[3], 255) for r in rows), dtype=np.uint8, count=len(rows))
    slugs = np.array([r[4] for r in rows], dtype=object)
    by_kind: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for kind, code in KIND_CODES.items():
        sel = kinds == code
        by_kind[kind] = (lfts[sel].tolist(), rgts[sel].tolist(), ids[sel].tolist())
    overlays: dict[int, tuple[str, list[tuple[int, int]]]] = {}
    members = Place.members.through.objects.filter(from_place__kind__in=overlay_kinds).values_list(
        "from_place_id", "from_place__kind", "to_place__lft", "to_place__rgt"
    )
    collected: dict[int, tuple[str, list[tuple[int, int]]]] = {}
    for pk, kind, lo, hi in members:
        collected.setdefault(pk, (kind, []))[1].append((lo, hi))
    for pk, (kind, ranges) in collected.items():
        overlays[pk] = (kind, merge_ranges(ranges))
    for pk, kind in (
        Place.objects.overlays().exclude(pk__in=list(overlays)).values_list("id", "kind")
    ):
        overlays[pk] = (kind, [])
    overlay_slugs = dict(Place.objects.overlays().values_list("id", "slug"))
    return PlaceIndex(version, ids, lfts, rgts, kinds, slugs, by_kind, overlays, overlay_slugs)


_lock = threading.Lock()
_index: PlaceIndex | None = None


def place_index() -> PlaceIndex:
    global _index
    version = _places_version()
    current = _index
    if current is not None and current.version == version:
        return current
    with _lock:
        if _index is None or _index.version != version:
            _index = _build(version)
        return _index


def place_index_reset() -> None:
    global _index
    with _lock:
        _index = None


@dataclass
class Rollup:
    """Active commitments of one call counted in every place that has any.

    Mutable: `apply` moves the counts for one changed position, so a cached roll-up follows
    single commitments and withdrawals without a recount.
    """

    total: int
    # Commitments whose organization has no place (they count only toward the total).
    unplaced: int
    # Row of the place index → non-zero count, in index order for a fresh roll-up.
    by_row: dict[int, int] = field(default_factory=dict)
    # Overlay region id → non-zero count.
    regions: dict[int, int] = field(default_factory=dict)
    _by_id: dict[int, int] | None = None

    @property
    def counts(self) -> dict[int, int]:
        """place id → count, tree places and regions alike (built on first use)."""
        if self._by_id is None:
            ids = place_index().ids
            by_id = {int(ids[row]): n for row, n in self.by_row.items()}
            by_id.update(self.regions)
            self._by_id = by_id
        return self._by_id

    def count(self, place_id: int) -> int:
        return self.counts.get(place_id, 0)

    def apply(self, index: PlaceIndex, lft: int | None, delta: int) -> tuple[list[int], list[int]]:
        """Add `delta` commitments at tree position `lft`; returns the index rows and the
        regions whose counts changed."""
        self.total += delta
        self._by_id = None
        if lft is None:
            self.unplaced += delta
            return [], []
        # Every tree place whose range holds `lft`: those starting at or before it (a prefix of
        # the lft-sorted index) that also end at or after it.
        end = int(np.searchsorted(index.lfts, lft, side="right"))
        rows = np.nonzero(index.rgts[:end] >= lft)[0].tolist()
        for row in rows:
            _bump(self.by_row, row, delta)
        regions = [
            pk
            for pk, (_, ranges) in index.overlays.items()
            if any(lo <= lft <= hi for lo, hi in ranges)
        ]
        for pk in regions:
            _bump(self.regions, pk, delta)
        return rows, regions


def _bump(counts: dict[int, int], key: int, delta: int) -> None:
    n = counts.get(key, 0) + delta
    if n < 0:
        raise ValueError("a roll-up count went below zero")
    if n:
        counts[key] = n
    else:
        counts.pop(key, None)


def rollup_from_counts(index: PlaceIndex, pairs: list[tuple[int | None, int]]) -> Rollup:
    """Roll (place_lft, count) pairs up to every place."""
    unplaced = sum(n for lft, n in pairs if lft is None)
    placed = sorted((lft, n) for lft, n in pairs if lft is not None)
    keys = np.array([p[0] for p in placed], dtype=np.int64)
    counts = np.array([p[1] for p in placed], dtype=np.int64)
    return rollup_from_arrays(index, keys, counts, unplaced)


def rollup_from_arrays(
    index: PlaceIndex, keys: np.ndarray, counts: np.ndarray, unplaced: int
) -> Rollup:
    """Roll counts at sorted tree positions `keys` up to every place."""
    return rollup_columns(index, keys, [counts], [unplaced])[0]


def rollup_columns(
    index: PlaceIndex, keys: np.ndarray, columns: list[np.ndarray], unplaced: list[int]
) -> list[Rollup]:
    """Roll several counts at the same sorted tree positions `keys` up to every place at once
    (a campaign's amounts pledged and received and its groups), one Rollup per column.

    Vectorised: two `searchsorted` calls over all tree places, shared by every column, then a
    loop over the (few) overlay regions.
    """
    if not len(keys):
        return [
            Rollup(total=extra + int(col.sum()), unplaced=extra)
            for col, extra in zip(columns, unplaced, strict=True)
        ]
    lo = np.searchsorted(keys, index.lfts, side="left")
    hi = np.searchsorted(keys, index.rgts, side="right")
    bounds = [
        (
            pk,
            np.searchsorted(keys, [a for a, _ in ranges], side="left"),
            np.searchsorted(keys, [b for _, b in ranges], side="right"),
        )
        for pk, (_, ranges) in index.overlays.items()
        if ranges
    ]
    rollups = []
    for counts, extra in zip(columns, unplaced, strict=True):
        prefix = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(counts, out=prefix[1:])
        per_place = prefix[hi] - prefix[lo]
        rows = np.nonzero(per_place)[0]
        regions: dict[int, int] = {}
        for pk, starts, ends in bounds:
            n = int((prefix[ends] - prefix[starts]).sum())
            if n:
                regions[pk] = n
        by_row = dict(zip(rows.tolist(), per_place[rows].tolist(), strict=True))
        rollups.append(
            Rollup(total=extra + int(counts.sum()), unplaced=extra, by_row=by_row, regions=regions)
        )
    return rollups


def rollup_level(
    index: PlaceIndex,
    kind: str,
    keys: np.ndarray,
    columns: list[np.ndarray],
    within: tuple[int, int] | None = None,
) -> tuple[list[int], list[np.ndarray]]:
    """Several counts at tree positions `keys` summed into the places of one tree `kind` (the
    states, say) only, optionally those whose `lft` is `within` a range: (place ids, one array
    of sums per column), for places with anything. Places of one kind never nest, so each key
    falls in at most one: one binary search per key instead of rolling up to every place, for
    a page that shows a single level."""
    lfts, rgts, ids = index.arrays_of(kind)
    if not len(keys) or not len(lfts):
        return [], [np.zeros(0, dtype=np.int64) for _ in columns]
    at = np.searchsorted(lfts, keys, side="right") - 1
    inside = at >= 0
    inside &= keys <= rgts[np.maximum(at, 0)]
    if within is not None:
        place_lft = lfts[np.maximum(at, 0)]
        inside &= (place_lft >= within[0]) & (place_lft <= within[1])
    hit = at[inside]
    rows, slot = np.unique(hit, return_inverse=True)
    sums = []
    for col in columns:
        # Integer sums (money in cents stays exact), into one slot per place hit.
        total = np.zeros(len(rows), dtype=np.int64)
        np.add.at(total, slot, col[inside].astype(np.int64))
        sums.append(total)
    return ids[rows].tolist(), sums
