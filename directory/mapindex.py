"""A per-process numpy index of public organizations, for the map and for place roll-ups.

At a million listings a database cannot cluster a viewport or count every sub-place by issue
within a page's time budget, but a few flat arrays can: about 40 bytes per organization, read
once with a raw cursor and reloaded when the directory version changes.

Rows are sorted by `place_lft`, so "everything inside a place" is one contiguous slice found
with `np.searchsorted`. Per-issue counts come from prefix sums over blocks of rows, so counting
a place by issue costs O(number of issues), whatever its size.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
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
GRID_BITS = 24
GRID_SIZE = 1 << GRID_BITS
# Tiles are 256 px, cells 64 px: 4 = 2**2 cells per tile side.
CELL_PIXELS = 64
CELLS_LEVEL = 2
# Up to this zoom the whole world has at most (4 * 2**5)**2 = 16,384 cells, so its grid is
# computed once per filter set and every viewport is a cut of it.
WORLD_GRID_MAX_ZOOM = 5
WORLD_GRIDS_KEPT = 64
# Rows per block of the per-issue prefix sums (memory: rows / BLOCK * issues * 4 bytes).
BLOCK = 64
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
REBUILD_MIN_SECONDS = 30.0
BUILD_TIMEOUT_SECONDS = 1800
# Index files of earlier versions are removed once this old (other processes may still be
# loading a recent one).
OLD_FILE_SECONDS = 600
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
    ranges: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class PlaceCount:
    total: int
    by_issue_bit: dict[int, int]


@dataclass
class _Grid:
    """Listings aggregated into the cells of one zoom level: one row per occupied cell."""

    cx: np.ndarray
    cy: np.ndarray
    counts: np.ndarray
    sum_gx: np.ndarray
    sum_gy: np.ndarray
    # For cells holding exactly one listing, its row in the index (else -1).
    single: np.ndarray
    total: int


class MapIndex:
    """Immutable once built; a new one replaces it whole when listings change."""

    # Arrays kept, all sorted by place_lft; saved and loaded under these names.
    ARRAYS = ("ids", "gx", "gy", "place_lft", "mask", "kind", "status", "name_rank")

    def __init__(
        self,
        *,
        version: int,
        ids: np.ndarray,
        gx: np.ndarray,
        gy: np.ndarray,
        place_lft: np.ndarray,
        mask: np.ndarray,
        kind: np.ndarray,
        status: np.ndarray,
        name_rank: np.ndarray | None = None,
    ) -> None:
        self.version = version
        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.gx = np.ascontiguousarray(gx, dtype=np.int32)
        self.gy = np.ascontiguousarray(gy, dtype=np.int32)
        self.place_lft = np.ascontiguousarray(place_lft, dtype=np.int32)
        self.mask = np.ascontiguousarray(mask, dtype=np.int64)
        self.kind = np.ascontiguousarray(kind, dtype=np.uint8)
        self.status = np.ascontiguousarray(status, dtype=np.uint8)
        # Each listing's position when all are ordered by name, then id; and the reverse.
        if name_rank is None:
            name_rank = np.argsort(np.argsort(self.ids, kind="stable"), kind="stable")
        self.name_rank = np.ascontiguousarray(name_rank, dtype=np.int32)
        self.id_by_rank = np.empty(len(self.ids), dtype=np.int64)
        self.id_by_rank[self.name_rank] = self.ids
        self._build_issue_blocks()
        self._world_grids: dict[tuple[int, Filters], _Grid] = {}
        self._world_lock = threading.Lock()

    @classmethod
    def from_rows(
        cls,
        *,
        version: int,
        ids: np.ndarray,
        lat: np.ndarray,
        lng: np.ndarray,
        place_lft: np.ndarray,
        mask: np.ndarray,
        kind: np.ndarray,
        status: np.ndarray,
        name_rank: np.ndarray | None = None,
    ) -> MapIndex:
        """Sort rows by place and turn coordinates into integer Web Mercator ones: cells of any
        zoom are then plain bit shifts, and 2**24 steps across the world are about 2 m."""
        order = np.argsort(place_lft, kind="stable")
        lat, lng = lat[order], lng[order]
        located = np.isfinite(lat) & np.isfinite(lng)
        gx = np.full(len(order), -1, dtype=np.int32)
        gy = np.full(len(order), -1, dtype=np.int32)
        gx[located] = _to_grid(mercator_x(lng[located]))
        gy[located] = _to_grid(mercator_y(lat[located]))
        return cls(
            version=version,
            ids=ids[order],
            gx=gx,
            gy=gy,
            place_lft=place_lft[order],
            mask=mask[order],
            kind=kind[order],
            status=status[order],
            name_rank=name_rank[order] if name_rank is not None else None,
        )

    def save(self, path: Path) -> None:
        """Write atomically, so a process loading the file never reads half of it."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            np.savez(
                fh,
                version=np.int64(self.version),
                **{name: getattr(self, name) for name in self.ARRAYS},
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> MapIndex:
        with np.load(path) as data:
            arrays = {name: data[name] for name in cls.ARRAYS}
            return cls(version=int(data["version"]), **arrays)

    def _build_issue_blocks(self) -> None:
        """Per-issue counts summed over blocks of BLOCK rows, then cumulated: counting any range
        by issue reads two rows of this table plus at most two partial blocks."""
        n = len(self.ids)
        max_mask = int(self.mask.max()) if n else 0
        self.bits = max(max_mask.bit_length(), 1)
        blocks = n // BLOCK
        per_block = np.zeros((blocks + 1, self.bits), dtype=np.int32)
        if blocks:
            head = self.mask[: blocks * BLOCK]
            for bit in range(self.bits):
                has = ((head >> bit) & 1).astype(np.int32)
                per_block[1:, bit] = has.reshape(blocks, BLOCK).sum(axis=1)
        self.block_prefix = np.cumsum(per_block, axis=0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = [getattr(self, name) for name in self.ARRAYS] + [self.id_by_rank]
        return sum(a.nbytes for a in arrays) + self.block_prefix.nbytes

    # Place roll-ups ---------------------------------------------------------------------

    def _slices(self, ranges: Iterable[tuple[int, int]]) -> list[slice]:
        merged = merge_ranges(ranges)
        if not merged:
            return []
        # Keys in the array's own dtype: otherwise numpy converts the whole array on every call.
        bounds = np.clip(np.asarray(merged, dtype=np.int64), NO_PLACE, np.iinfo(np.int32).max)
        bounds = bounds.astype(np.int32)
        lo = np.searchsorted(self.place_lft, bounds[:, 0], side="left")
        hi = np.searchsorted(self.place_lft, bounds[:, 1], side="right")
        return [slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True) if b > a]

    def _issue_counts(self, lo: int, hi: int) -> np.ndarray:
        def direct(a: int, b: int) -> np.ndarray:
            if b <= a:
                return np.zeros(self.bits, dtype=np.int64)
            part = self.mask[a:b, None] >> np.arange(self.bits, dtype=np.int64)
            return (part & 1).sum(axis=0)

        first, last = -(-lo // BLOCK), hi // BLOCK
        if first >= last:
            return direct(lo, hi)
        whole = (self.block_prefix[last] - self.block_prefix[first]).astype(np.int64)
        return whole + direct(lo, first * BLOCK) + direct(last * BLOCK, hi)

    def count_in(self, ranges: Iterable[tuple[int, int]]) -> PlaceCount:
        """Listings inside the ranges, in total and by issue bit."""
        by_bit = np.zeros(self.bits, dtype=np.int64)
        total = 0
        for sl in self._slices(ranges):
            total += sl.stop - sl.start
            by_bit += self._issue_counts(sl.start, sl.stop)
        return PlaceCount(total, {bit: int(n) for bit, n in enumerate(by_bit) if n})

    def counts_for(
        self, places: Sequence[tuple[int, Iterable[tuple[int, int]]]]
    ) -> dict[int, PlaceCount]:
        """Counts for many places at once: (key, ranges) in, {key: PlaceCount} out."""
        return {key: self.count_in(ranges) for key, ranges in places}

    def count_matching(self, filters: Filters) -> int:
        """How many listings pass the filters; used for result totals without a COUNT query."""
        total = 0
        for sl in self._candidate_slices(filters):
            keep = self._filter_mask(sl, filters)
            total += int(np.count_nonzero(keep)) if keep is not None else sl.stop - sl.start
        return total

    def ids_by_name(self, filters: Filters, start: int, stop: int) -> list[int]:
        """Ids of the listings passing the filters, positions start..stop in name order: a page
        of a filtered list without sorting or reading the database's rows."""
        if stop <= start:
            return []
        if filters == Filters():
            return [int(i) for i in self.id_by_rank[start:stop]]
        parts = []
        for sl in self._candidate_slices(filters):
            keep = self._filter_mask(sl, filters)
            parts.append(self.name_rank[sl] if keep is None else self.name_rank[sl][keep])
        if not parts:
            return []
        ranks = np.concatenate(parts)
        if stop < len(ranks):
            ranks = np.partition(ranks, stop - 1)[:stop]
        ranks.sort()
        return [int(i) for i in self.id_by_rank[ranks[start:stop]]]

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

    def _rows(self, filters: Filters, window: tuple[int, int, int, int] | None) -> np.ndarray:
        """Rows passing the filters and, if given, inside the grid window x0, y0, x1, y1."""
        chosen: list[np.ndarray] = []
        for sl in self._candidate_slices(filters):
            keep = self._filter_mask(sl, filters)
            gx, gy = self.gx[sl], self.gy[sl]
            inside = gx >= 0
            if window is not None:
                x0, y0, x1, y1 = window
                inside = (gx >= x0) & (gx <= x1) & (gy >= y0) & (gy <= y1)
            keep = inside if keep is None else keep & inside
            chosen.append(np.flatnonzero(keep) + sl.start)
        return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)

    def _aggregate(
        self, rows: np.ndarray, shift: int, origin: tuple[int, int], size: tuple[int, int]
    ) -> _Grid:
        """Bin rows into cells (O(n) with bincount); cells are counted from `origin`."""
        width, height = size
        cx = (self.gx[rows] >> shift) - origin[0]
        cy = (self.gy[rows] >> shift) - origin[1]
        cell = cx.astype(np.int64) * height + cy
        cells = width * height
        counts = np.bincount(cell, minlength=cells)
        sum_gx = np.bincount(cell, weights=self.gx[rows], minlength=cells)
        sum_gy = np.bincount(cell, weights=self.gy[rows], minlength=cells)
        occupied = np.flatnonzero(counts)
        single = np.full(cells, -1, dtype=np.int64)
        alone = counts[cell] == 1
        single[cell[alone]] = rows[alone]
        return _Grid(
            cx=occupied // height + origin[0],
            cy=occupied % height + origin[1],
            counts=counts[occupied],
            sum_gx=sum_gx[occupied],
            sum_gy=sum_gy[occupied],
            single=single[occupied],
            total=int(len(rows)),
        )

    def warm(self) -> None:
        """Compute the unfiltered world grids now, so no visitor waits for them."""
        for zoom in range(WORLD_GRID_MAX_ZOOM + 1):
            self._world_grid(zoom + CELLS_LEVEL, Filters())

    def _world_grid(self, level: int, filters: Filters) -> _Grid:
        """The whole world at a low zoom, kept per filter set: any viewport is a cut of it."""
        key = (level, filters)
        grid = self._world_grids.get(key)
        if grid is None:
            per_side = 1 << level
            grid = self._aggregate(
                self._rows(filters, None), GRID_BITS - level, (0, 0), (per_side, per_side)
            )
            with self._world_lock:
                if len(self._world_grids) >= WORLD_GRIDS_KEPT:
                    self._world_grids.pop(next(iter(self._world_grids)))
                self._world_grids[key] = grid
        return grid

    def clusters(
        self, *, bbox: tuple[float, float, float, float], zoom: int, filters: Filters
    ) -> dict[str, Any]:
        """Group the listings in view into grid cells of CELL_PIXELS at this zoom.

        Returns clusters (count and centroid, with members when small) and single points. The
        grid is anchored to the world, not the viewport, so clusters stay put while panning.
        """
        west, south, east, north = bbox
        x0, x1 = _to_grid(mercator_x(max(west, -180.0))), _to_grid(mercator_x(min(east, 180.0)))
        y0, y1 = _to_grid(mercator_y(north)), _to_grid(mercator_y(south))
        level = zoom + CELLS_LEVEL
        shift = GRID_BITS - level
        cx0, cx1, cy0, cy1 = x0 >> shift, x1 >> shift, y0 >> shift, y1 >> shift
        width, height = cx1 - cx0 + 1, cy1 - cy0 + 1
        if width * height > MAX_CELLS:
            raise ViewportTooLarge(width * height)

        if zoom <= WORLD_GRID_MAX_ZOOM:
            world = self._world_grid(level, filters)
            # Whole cells: a cluster is shown entire even if the viewport cuts through its cell.
            seen = (world.cx >= cx0) & (world.cx <= cx1) & (world.cy >= cy0) & (world.cy <= cy1)
            grid = _Grid(
                cx=world.cx[seen],
                cy=world.cy[seen],
                counts=world.counts[seen],
                sum_gx=world.sum_gx[seen],
                sum_gy=world.sum_gy[seen],
                single=world.single[seen],
                total=int(world.counts[seen].sum()),
            )
            rows = None
        else:
            rows = self._rows(filters, (x0, y0, x1, y1))
            grid = self._aggregate(rows, shift, (cx0, cy0), (width, height))
        return self._answer(grid, zoom, rows, shift, (cx0, cy0), height)

    def _answer(
        self,
        grid: _Grid,
        zoom: int,
        rows: np.ndarray | None,
        shift: int,
        origin: tuple[int, int],
        height: int,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {"zoom": zoom, "total": grid.total, "clusters": [], "points": []}
        singles = grid.single[grid.counts == 1]
        names = organization_labels(self.ids[singles].tolist())
        lat, lng = _from_grid(self.gx[singles], self.gy[singles])
        for row, la, ln in zip(singles.tolist(), lat.tolist(), lng.tolist(), strict=True):
            pk = int(self.ids[row])
            label = names.get(pk)
            if label is not None:  # None: hidden or deleted since the index was built
                result["points"].append(
                    {"id": pk, **label, "lat": round(la, 6), "lng": round(ln, 6)}
                )

        multi = grid.counts > 1
        n = grid.counts[multi]
        c_lat, c_lng = _from_grid(grid.sum_gx[multi] / n, grid.sum_gy[multi] / n)
        keys = ((grid.cx[multi] - origin[0]) * height + (grid.cy[multi] - origin[1])).tolist()
        members: dict[int, list[dict[str, Any]]] = {}
        if rows is not None and zoom >= LISTED_FROM_ZOOM:
            small = np.asarray(keys, dtype=np.int64)[n <= LISTED_CLUSTER_SIZE]
            members = self._members(rows, shift, origin, height, small)
        for key, count, la, ln in zip(
            keys, n.tolist(), c_lat.tolist(), c_lng.tolist(), strict=True
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

    def _members(
        self, rows: np.ndarray, shift: int, origin: tuple[int, int], height: int, small: np.ndarray
    ) -> dict[int, list[dict[str, Any]]]:
        """Names of the listings in small clusters, so co-located groups stay reachable."""
        if not len(small):
            return {}
        cell = ((self.gx[rows] >> shift) - origin[0]).astype(np.int64) * height + (
            (self.gy[rows] >> shift) - origin[1]
        )
        picked = np.isin(cell, small)
        ids = self.ids[rows[picked]]
        names = organization_labels(ids.tolist())
        members: dict[int, list[dict[str, Any]]] = {}
        for key, pk in zip(cell[picked].tolist(), ids.tolist(), strict=True):
            label = names.get(int(pk))
            if label is not None:
                members.setdefault(key, []).append({"id": int(pk), **label})
        for items in members.values():
            items.sort(key=lambda item: item["name"].lower())
        return members


def _to_grid(value: Any) -> Any:
    scaled = np.clip(np.asarray(value, dtype=np.float64) * GRID_SIZE, 0, GRID_SIZE - 1)
    return scaled.astype(np.int32) if np.ndim(scaled) else int(scaled)


def _from_grid(gx: Any, gy: Any) -> tuple[Any, Any]:
    return inverse_mercator(
        (np.asarray(gx, dtype=np.float64) + 0.5) / GRID_SIZE,
        (np.asarray(gy, dtype=np.float64) + 0.5) / GRID_SIZE,
    )


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
    names: list[str] = []
    table = Organization._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT id, latitude, longitude, place_lft, issue_mask, kind, status, name FROM {table} "  # noqa: S608
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
            names.extend(cols[7])
            del rows, cols

    def joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    all_ids = joined(ids, np.int64)
    # Listings sort by name then id, comparing text by code point as SQLite does (and
    # PostgreSQL with the C collation).
    by_name = sorted(range(len(names)), key=lambda i: (names[i], int(all_ids[i])))
    name_rank = np.empty(len(by_name), dtype=np.int32)
    name_rank[np.asarray(by_name, dtype=np.int64)] = np.arange(len(by_name), dtype=np.int32)
    del by_name

    return MapIndex.from_rows(
        version=version,
        ids=all_ids,
        lat=joined(lats, np.float64),
        lng=joined(lngs, np.float64),
        place_lft=joined(lfts, np.int32),
        mask=joined(masks, np.int64),
        kind=joined(kinds, np.uint8),
        status=joined(statuses, np.uint8),
        name_rank=name_rank,
    )


FILE_LAYOUT = 2


def _index_file(version: int) -> Path:
    """Where processes share the index of one version of one database."""
    db = settings.DATABASES["default"]
    identity = f"{db['ENGINE']}|{db['NAME']}|{db.get('HOST', '')}|{db.get('PORT', '')}"
    tag = hashlib.sha256(identity.encode()).hexdigest()[:12]
    # The file layout's own number goes into the name, so files of an older layout are ignored.
    return Path(settings.VAR_DIR) / "mapindex" / f"{tag}-f{FILE_LAYOUT}-v{version}.npz"


def _row_count() -> int:
    # Unfiltered: SQLite answers from its smallest index without reading the table.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Organization._meta.db_table}")  # noqa: S608
        return int(cursor.fetchone()[0])


# Run in a child process: `python -c CHILD_BUILD path`.
CHILD_BUILD = (
    "import sys, pathlib, django; django.setup(); "
    "from directory.mapindex import index_build; index_build().save(pathlib.Path(sys.argv[1]))"
)


def _build_in_child(path: Path) -> None:
    """Reading a million rows walks the whole table; in a child process the pages it maps and
    the rows it converts never count against the web process's memory."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "commonweal.settings"),
    }
    subprocess.run(
        [sys.executable, "-c", CHILD_BUILD, str(path)],
        check=True,
        cwd=settings.BASE_DIR,
        env=env,
        timeout=BUILD_TIMEOUT_SECONDS,
        capture_output=True,
    )


def _forget_old_files(keep: Path) -> None:
    tag = keep.name.split("-v")[0]
    cutoff = time.time() - OLD_FILE_SECONDS
    for old in keep.parent.glob(f"{tag}-v*.npz"):
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:
            pass  # another process tidied it first


def index_file_prepare() -> Path | None:
    """Write the current version's index file if the directory is big and it is missing, so
    web workers start by loading it instead of their first visitors waiting for the build."""
    if _row_count() < SYNC_REBUILD_ROWS:
        return None
    path = _index_file(directory_version())
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with (path.parent / f"{path.name.split('-v')[0]}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                _build_in_child(path)
    return path


def index_obtain() -> MapIndex:
    """The index of the directory as it is now: built here when small, otherwise loaded from the
    file that a child process wrote (once per version, whichever process asks first)."""
    # Other workers wanting the same version wait for one build instead of building it twice.
    path = index_file_prepare()
    if path is None:
        return index_build()
    index = MapIndex.load(path)
    _forget_old_files(path)
    return index


class _Holder:
    """The process's current index, swapped whole so readers never see a half-built one."""

    def __init__(self) -> None:
        self.index: MapIndex | None = None
        self.checked_at = 0.0
        self.rebuilt_at = 0.0
        self.lock = threading.Lock()
        self.build_lock = threading.Lock()
        self.rebuilding = False


_holder = _Holder()


def index_reset() -> None:
    """Forget the index (tests, and after bulk imports in the same process)."""
    with _holder.lock:
        _holder.index = None
        _holder.checked_at = 0.0
        _holder.rebuilt_at = 0.0


def _install(index: MapIndex) -> None:
    with _holder.lock:
        _holder.index = index
        _holder.rebuilt_at = time.monotonic()


def _rebuild_in_background() -> None:
    try:
        fresh = index_obtain()
        fresh.warm()
        _install(fresh)
    except Exception:  # a failed rebuild must not take the map down; the old index stays
        log.exception("map index rebuild failed")
    finally:
        _holder.rebuilding = False
        connection.close()


def get_index() -> MapIndex:
    """The current index, reloaded when the directory version moved (checked every few seconds).

    A big index is replaced in the background while the old one keeps answering, at most every
    REBUILD_MIN_SECONDS, so a burst of edits costs one rebuild rather than one each.
    """
    now = time.monotonic()
    current = _holder.index
    if current is not None and now - _holder.checked_at < CHECK_SECONDS:
        return current
    _holder.checked_at = now
    if current is not None and directory_version() == current.version:
        return current
    if current is not None and len(current) >= SYNC_REBUILD_ROWS:
        with _holder.lock:
            if _holder.rebuilding or now - _holder.rebuilt_at < REBUILD_MIN_SECONDS:
                return current
            _holder.rebuilding = True
        threading.Thread(target=_rebuild_in_background, name="map-index", daemon=True).start()
        return current
    # First build (or a small index): build here, once, while other threads wait for it.
    with _holder.build_lock:
        installed = _holder.index
        if installed is not None and installed is not current:
            return installed
        fresh = index_obtain()
        if len(fresh) >= SYNC_REBUILD_ROWS:
            fresh.warm()
        _install(fresh)
    return fresh
