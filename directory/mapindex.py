"""A per-process numpy index of public organizations, for the map and for place roll-ups.

At a million listings a database cannot cluster a viewport or count every sub-place by issue
within a page's time budget, but a few flat arrays can: about 40 bytes per organization, read
once with a raw cursor and reloaded when the directory version changes.

Rows are sorted by `place_lft`, so "everything inside a place" is one contiguous slice found
with `np.searchsorted`. Per-issue counts come from prefix sums over the distinct `place_lft`
values, so counting a place by issue costs O(number of issues), whatever its size.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, connections
from django.urls import reverse

from directory.models import Organization, OrganizationKind, OrganizationStatus
from directory.selectors import directory_version

log = logging.getLogger(__name__)

KIND_CODES: dict[str, int] = {value: code for code, value in enumerate(OrganizationKind.values)}
STATUS_CODES: dict[str, int] = {value: code for code, value in enumerate(OrganizationStatus.values)}
UNKNOWN_CODE = 255
NO_PLACE = -1

# Web Mercator stops here; beyond it y runs off to infinity.
MAX_LATITUDE = 85.05112878
MAX_ZOOM = 20
CELL_PIXELS = 64
# A viewport of any sensible screen at any zoom needs far fewer cells than this; more means the
# bbox is wider than the screen at that zoom, which would only burn CPU.
MAX_CELLS = 40_000
# Clusters this small list their members, so co-located groups stay reachable at any zoom.
LISTED_CLUSTER_SIZE = 10
LISTED_FROM_ZOOM = 10

# How often a request may ask the database whether listings changed.
CHECK_SECONDS = 3.0
# Indexes smaller than this rebuild inside the request; larger ones rebuild in a thread while
# the previous index keeps serving.
SYNC_REBUILD_ROWS = 100_000
FETCH_ROWS = 50_000


def mercator_x(lng: Any) -> Any:
    return (np.asarray(lng, dtype=np.float64) + 180.0) / 360.0


def mercator_y(lat: Any) -> Any:
    """0 at the top (north) of the world, 1 at the bottom, as map tiles count."""
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_LATITUDE, MAX_LATITUDE)
    rad = np.radians(lat)
    return (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0


def inverse_mercator(mx: Any, my: Any) -> tuple[Any, Any]:
    lng = np.asarray(mx) * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1.0 - 2.0 * np.asarray(my)))))
    return lat, lng


@dataclass(frozen=True)
class Filters:
    issue_bit: int | None = None
    kind: str = ""
    status: str = ""
    # Tree ranges (lft, rgt) of a place or of an overlay region's members; None means anywhere.
    ranges: list[tuple[int, int]] | None = None


@dataclass(frozen=True)
class PlaceCount:
    total: int
    by_issue_bit: dict[int, int]


@dataclass
class MapIndex:
    version: int
    ids: np.ndarray
    mx: np.ndarray
    my: np.ndarray
    place_lft: np.ndarray
    mask: np.ndarray
    kind: np.ndarray
    status: np.ndarray
    # Distinct place_lft values and, per issue bit, cumulative counts over them (row 0 is zeros).
    lft_values: np.ndarray = field(init=False)
    issue_prefix: np.ndarray = field(init=False)
    bits: int = field(init=False)

    def __post_init__(self) -> None:
        self.lft_values, starts = np.unique(self.place_lft, return_index=True)
        max_mask = int(self.mask.max()) if len(self.mask) else 0
        self.bits = max(max_mask.bit_length(), 1)
        per_value = np.zeros((len(self.lft_values) + 1, self.bits), dtype=np.int32)
        if len(self.ids):
            for bit in range(self.bits):
                has = ((self.mask >> bit) & 1).astype(np.int32)
                per_value[1:, bit] = np.add.reduceat(has, starts)
        self.issue_prefix = np.cumsum(per_value, axis=0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = (self.ids, self.mx, self.my, self.place_lft, self.mask, self.kind, self.status)
        return sum(a.nbytes for a in arrays) + self.lft_values.nbytes + self.issue_prefix.nbytes

    # Place roll-ups ---------------------------------------------------------------------

    def _slices(self, ranges: Iterable[tuple[int, int]]) -> list[slice]:
        merged = merge_ranges(ranges)
        if not merged:
            return []
        lo = np.searchsorted(self.place_lft, [r[0] for r in merged], side="left")
        hi = np.searchsorted(self.place_lft, [r[1] for r in merged], side="right")
        return [slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True) if b > a]

    def count_in(self, ranges: Iterable[tuple[int, int]]) -> PlaceCount:
        merged = merge_ranges(ranges)
        if not merged:
            return PlaceCount(0, {})
        lo_v = np.searchsorted(self.lft_values, [r[0] for r in merged], side="left")
        hi_v = np.searchsorted(self.lft_values, [r[1] for r in merged], side="right")
        by_bit = (self.issue_prefix[hi_v] - self.issue_prefix[lo_v]).sum(axis=0)
        total = sum(s.stop - s.start for s in self._slices(merged))
        return PlaceCount(total, {bit: int(n) for bit, n in enumerate(by_bit) if n})

    def counts_for(
        self, places: Sequence[tuple[int, list[tuple[int, int]]]]
    ) -> dict[int, PlaceCount]:
        """Counts for many places at once: (key, ranges) in, {key: PlaceCount} out."""
        return {key: self.count_in(ranges) for key, ranges in places}

    def count_matching(self, filters: Filters) -> int:
        """How many listings pass the filters; used for result totals without a COUNT query."""
        total = 0
        for sl in self._candidate_slices(filters):
            keep = self._filter_mask(sl, filters)
            total += int(keep.sum()) if keep is not None else sl.stop - sl.start
        return total

    # Map clusters -------------------------------------------------------------------------

    def _candidate_slices(self, filters: Filters) -> list[slice]:
        if filters.ranges is None:
            return [slice(0, len(self.ids))]
        return self._slices(filters.ranges)

    def _filter_mask(self, sl: slice, filters: Filters) -> np.ndarray | None:
        keep: np.ndarray | None = None

        def both(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
            return b if a is None else a & b

        if filters.issue_bit is not None:
            keep = both(keep, (self.mask[sl] & np.int64(1 << filters.issue_bit)) != 0)
        if filters.kind:
            keep = both(keep, self.kind[sl] == KIND_CODES.get(filters.kind, UNKNOWN_CODE))
        if filters.status:
            keep = both(keep, self.status[sl] == STATUS_CODES.get(filters.status, UNKNOWN_CODE))
        return keep

    def clusters(
        self, *, bbox: tuple[float, float, float, float], zoom: int, filters: Filters
    ) -> dict[str, Any]:
        """Group the listings in view into grid cells of CELL_PIXELS at this zoom.

        Returns clusters (count and centroid, with members when small) and single points. The
        grid is anchored to the world, not the viewport, so clusters stay put while panning.
        """
        west, south, east, north = bbox
        x0, x1 = max(float(mercator_x(west)), 0.0), min(float(mercator_x(east)), 1.0)
        y0, y1 = float(mercator_y(north)), float(mercator_y(south))
        per_side = (256 // CELL_PIXELS) * (1 << zoom)
        cx0, cx1 = math.floor(x0 * per_side), min(math.floor(x1 * per_side), per_side - 1)
        cy0, cy1 = math.floor(y0 * per_side), min(math.floor(y1 * per_side), per_side - 1)
        width, height = cx1 - cx0 + 1, cy1 - cy0 + 1
        if width * height > MAX_CELLS:
            raise ViewportTooLarge(width * height)

        chosen: list[np.ndarray] = []
        for sl in self._candidate_slices(filters):
            mx, my = self.mx[sl], self.my[sl]
            keep = (mx >= x0) & (mx <= x1) & (my >= y0) & (my <= y1)
            extra = self._filter_mask(sl, filters)
            if extra is not None:
                keep &= extra
            chosen.append(np.flatnonzero(keep) + sl.start)
        idx = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)

        result: dict[str, Any] = {
            "zoom": zoom,
            "total": int(len(idx)),
            "clusters": [],
            "points": [],
        }
        if not len(idx):
            return result
        mx, my = self.mx[idx], self.my[idx]
        col = np.clip((mx * per_side).astype(np.int64), cx0, cx1) - cx0
        row = np.clip((my * per_side).astype(np.int64), cy0, cy1) - cy0
        cell = col * height + row
        cells = width * height
        counts = np.bincount(cell, minlength=cells)
        sum_x = np.bincount(cell, weights=mx, minlength=cells)
        sum_y = np.bincount(cell, weights=my, minlength=cells)
        # For a cell holding one listing, the sum of positions is that listing's position.
        sum_pos = np.bincount(cell, weights=idx.astype(np.float64), minlength=cells)

        occupied = np.flatnonzero(counts)
        single_cells = occupied[counts[occupied] == 1]
        multi_cells = occupied[counts[occupied] > 1]

        single_pos = sum_pos[single_cells].astype(np.int64)
        lat, lng = inverse_mercator(self.mx[single_pos], self.my[single_pos])
        names = organization_labels(self.ids[single_pos].tolist())
        for pos, la, ln in zip(single_pos.tolist(), lat.tolist(), lng.tolist(), strict=True):
            label = names.get(int(self.ids[pos]))
            if label is None:
                continue  # hidden or deleted since the index was built
            result["points"].append(
                {"id": int(self.ids[pos]), **label, "lat": round(la, 6), "lng": round(ln, 6)}
            )

        n = counts[multi_cells]
        c_lat, c_lng = inverse_mercator(sum_x[multi_cells] / n, sum_y[multi_cells] / n)
        members: dict[int, list[dict[str, Any]]] = {}
        if zoom >= LISTED_FROM_ZOOM:
            members = self._small_cluster_members(idx, cell, multi_cells[n <= LISTED_CLUSTER_SIZE])
        for key, count, la, ln in zip(
            multi_cells.tolist(), n.tolist(), c_lat.tolist(), c_lng.tolist(), strict=True
        ):
            cluster: dict[str, Any] = {
                "count": int(count),
                "lat": round(la, 6),
                "lng": round(ln, 6),
            }
            if key in members:
                cluster["items"] = members[key]
            result["clusters"].append(cluster)
        return result

    def _small_cluster_members(
        self, idx: np.ndarray, cell: np.ndarray, small: np.ndarray
    ) -> dict[int, list[dict[str, Any]]]:
        if not len(small):
            return {}
        picked = np.isin(cell, small)
        sub_cell, sub_idx = cell[picked], idx[picked]
        ids = self.ids[sub_idx]
        names = organization_labels(ids.tolist())
        members: dict[int, list[dict[str, Any]]] = {}
        for key, pk in zip(sub_cell.tolist(), ids.tolist(), strict=True):
            label = names.get(int(pk))
            if label is not None:
                members.setdefault(key, []).append({"id": int(pk), **label})
        for items in members.values():
            items.sort(key=lambda item: item["name"].lower())
        return members


class ViewportTooLarge(ValueError):
    def __init__(self, cells: int) -> None:
        super().__init__(
            f"The bbox spans {cells} grid cells at this zoom; zoom in or send a smaller bbox."
        )


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping tree ranges, so a region listing a state and one of its counties
    counts that county once."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def organization_labels(ids: list[int]) -> dict[int, dict[str, str]]:
    """Names and page addresses of public listings, looked up in batches."""
    if not ids:
        return {}
    # reverse() once with a placeholder: calling it per point costs more than the clustering.
    pattern = reverse("organization", args=["slug-placeholder"])
    labels: dict[int, dict[str, str]] = {}
    for start in range(0, len(ids), 900):
        rows = Organization.objects.filter(
            pk__in=ids[start : start + 900], is_hidden=False
        ).values_list("id", "name", "slug")
        for pk, name, slug in rows:
            labels[pk] = {"name": name, "url": pattern.replace("slug-placeholder", slug)}
    return labels


def index_build(using: str = "default") -> MapIndex:
    """Read every public listing with a raw cursor (no model instances) into sorted arrays."""
    version = directory_version()
    ids: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    lngs: list[np.ndarray] = []
    lfts: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    statuses: list[np.ndarray] = []
    table = Organization._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT id, latitude, longitude, place_lft, issue_mask, kind, status FROM {table} "  # noqa: S608
            "WHERE is_hidden = %s",
            [False],
        )
        while True:
            rows = cursor.fetchmany(FETCH_ROWS)
            if not rows:
                break
            cols = list(zip(*rows, strict=True))
            ids.append(np.array(cols[0], dtype=np.int64))
            # None becomes NaN, which no bbox comparison matches.
            lats.append(np.array(cols[1], dtype=np.float64))
            lngs.append(np.array(cols[2], dtype=np.float64))
            lfts.append(np.array([NO_PLACE if v is None else v for v in cols[3]], dtype=np.int32))
            masks.append(np.array(cols[4], dtype=np.int64))
            kinds.append(
                np.array([KIND_CODES.get(v, UNKNOWN_CODE) for v in cols[5]], dtype=np.uint8)
            )
            statuses.append(
                np.array([STATUS_CODES.get(v, UNKNOWN_CODE) for v in cols[6]], dtype=np.uint8)
            )
            del rows, cols

    def joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    place_lft = joined(lfts, np.int32)
    order = np.argsort(place_lft, kind="stable")
    lat = joined(lats, np.float64)[order]
    lng = joined(lngs, np.float64)[order]
    return MapIndex(
        version=version,
        ids=joined(ids, np.int64)[order],
        mx=mercator_x(lng),
        my=np.where(np.isnan(lat), np.nan, mercator_y(np.nan_to_num(lat))),
        place_lft=place_lft[order],
        mask=joined(masks, np.int64)[order],
        kind=joined(kinds, np.uint8)[order],
        status=joined(statuses, np.uint8)[order],
    )


class _Holder:
    """The process's current index, swapped whole so readers never see a half-built one."""

    def __init__(self) -> None:
        self.index: MapIndex | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.rebuilding = False


_holder = _Holder()


def index_reset() -> None:
    """Forget the index (tests, and after bulk imports in the same process)."""
    with _holder.lock:
        _holder.index = None
        _holder.checked_at = 0.0


def _rebuild_in_background() -> None:
    try:
        fresh = index_build()
        with _holder.lock:
            _holder.index = fresh
    except Exception:  # a failed rebuild must not take the map down; the old index stays
        log.exception("map index rebuild failed")
    finally:
        _holder.rebuilding = False
        connection.close()


def get_index() -> MapIndex:
    """The current index, reloaded when the directory version moved (checked every few seconds)."""
    now = time.monotonic()
    current = _holder.index
    if current is not None and now - _holder.checked_at < CHECK_SECONDS:
        return current
    _holder.checked_at = now
    if current is not None and directory_version() == current.version:
        return current
    if current is not None and len(current) >= SYNC_REBUILD_ROWS:
        with _holder.lock:
            if _holder.rebuilding:
                return current
            _holder.rebuilding = True
        threading.Thread(target=_rebuild_in_background, name="map-index", daemon=True).start()
        return current
    fresh = index_build()
    with _holder.lock:
        _holder.index = fresh
    return fresh
