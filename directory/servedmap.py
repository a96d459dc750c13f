"""Where groups serve, for the main map's "Show where groups serve" toggle.

The map index (directory/mapindex.py) places each listing once, at its home. A chapter based in
one town that serves forty ZIP codes' towns should also be findable in each of them, but putting
those places into the million-row map index would multiply it by the size of service areas and
slow every cluster answer for everyone. Service areas are kept in their own small index instead:
one row per (served place, group), built from the service-area table in one query per directory
version and held in each process. Its size follows the number of service-area links (the DSA
list: about 24,000), not the number of listings, and a viewport is answered by filtering and
grouping those arrays: one marker per served place, or per grid cell when zoomed out.

The toggle is off by default, so the default map costs nothing more.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import F

from directory.mapindex import Filters, merge_ranges, organization_labels
from directory.models import Organization, OrganizationKind, OrganizationStatus
from directory.selectors import directory_version

# At this zoom and above every served place is its own marker; below, places are grouped into
# grid cells of about CELL_DEGREES_AT_ZERO / 2**zoom degrees so the answer stays small.
PLACES_FROM_ZOOM = 7
CELL_DEGREES_AT_ZERO = 90.0
# Names listed in a marker's popup; the rest are counted.
NAMES_SHOWN = 8
# Markers in one answer, densest first; a view with more asks the user to zoom in.
MARKERS_MAX = 1500

_KIND_CODES = {k: i for i, k in enumerate(OrganizationKind.values)}
_STATUS_CODES = {s: i for i, s in enumerate(OrganizationStatus.values)}


@dataclass(frozen=True)
class ServedIndex:
    version: int
    place_ids: np.ndarray  # int64, one row per (served place, group)
    place_lft: np.ndarray  # int64, the served place's tree number
    lat: np.ndarray
    lng: np.ndarray
    org_ids: np.ndarray
    issue_mask: np.ndarray
    kind: np.ndarray  # int8 codes of OrganizationKind
    status: np.ndarray  # int8 codes of OrganizationStatus
    names: dict[int, str]  # served place id → name

    def __len__(self) -> int:
        return len(self.org_ids)


def served_index_build() -> ServedIndex:
    """One query over the service-area table joined to its places and public groups."""
    version = directory_version()
    through = Organization.service_areas.through
    rows = list(
        through.objects.filter(
            organization__is_hidden=False,
            place__latitude__isnull=False,
            place__longitude__isnull=False,
        )
        # Served where it is based too: the map index already shows that marker.
        .exclude(organization__home_place_id=F("place_id"))
        .values_list(
            "place_id",
            "place__lft",
            "place__latitude",
            "place__longitude",
            "place__name",
            "organization_id",
            "organization__issue_mask",
            "organization__kind",
            "organization__status",
        )
        .order_by("place_id", "organization_id")
    )
    names = {r[0]: r[4] for r in rows}
    return ServedIndex(
        version=version,
        place_ids=np.array([r[0] for r in rows], dtype=np.int64),
        place_lft=np.array([r[1] for r in rows], dtype=np.int64),
        lat=np.array([r[2] for r in rows], dtype=np.float64),
        lng=np.array([r[3] for r in rows], dtype=np.float64),
        org_ids=np.array([r[5] for r in rows], dtype=np.int64),
        issue_mask=np.array([r[6] for r in rows], dtype=np.int64),
        kind=np.array([_KIND_CODES.get(r[7], -1) for r in rows], dtype=np.int8),
        status=np.array([_STATUS_CODES.get(r[8], -1) for r in rows], dtype=np.int8),
        names=names,
    )


_lock = threading.Lock()
_current: list[ServedIndex] = []


def served_index() -> ServedIndex:
    """This process's index, rebuilt when the directory version moves on."""
    version = directory_version()
    with _lock:
        if _current and _current[0].version == version:
            return _current[0]
    built = served_index_build()
    with _lock:
        _current[:] = [built]
    return built


def served_index_reset() -> None:
    """Forget this process's index (tests whose databases restart the version count)."""
    with _lock:
        _current.clear()
        _world_cells.clear()


def _mask(index: ServedIndex, filters: Filters, bbox: tuple[float, float, float, float]) -> Any:
    west, south, east, north = bbox
    keep = (index.lat >= south) & (index.lat <= north) & (index.lng >= west) & (index.lng <= east)
    if filters.issue_bit is not None:
        keep &= (index.issue_mask & (1 << filters.issue_bit)) != 0
    if filters.kind:
        keep &= index.kind == _KIND_CODES.get(filters.kind, -2)
    if filters.status:
        keep &= index.status == _STATUS_CODES.get(filters.status, -2)
    if filters.ranges is not None:
        inside = np.zeros(len(index), dtype=bool)
        for lo, hi in merge_ranges(filters.ranges):
            inside |= (index.place_lft >= lo) & (index.place_lft <= hi)
        keep &= inside
    return keep


def _grouped(index: ServedIndex, rows: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
    """`rows` split by `keys` (served place or grid cell), each group's rows by group id."""
    order = np.lexsort((index.org_ids[rows], keys))
    rows, keys = rows[order], keys[order]
    if not len(keys):
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.split(rows, starts[1:])


def _cell_keys(index: ServedIndex, rows: np.ndarray, zoom: int) -> np.ndarray:
    size = CELL_DEGREES_AT_ZERO / (1 << zoom)
    cx = np.floor((index.lng[rows] + 180.0) / size).astype(np.int64)
    cy = np.floor((index.lat[rows] + 90.0) / size).astype(np.int64)
    return cx * 1_000_000 + cy


# Zoomed-out answers group the whole world once per (version, zoom, filters), as the map index
# does for its world grids, and a viewport then only picks the cells in it.
_world_cells: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, list[np.ndarray]]] = (
    OrderedDict()
)
WORLD_CELLS_KEPT = 12
WORLD = (-180.0, -90.0, 180.0, 90.0)


def _cells(index: ServedIndex, zoom: int, filters: Filters) -> tuple[Any, Any, list[Any]]:
    key = (index.version, zoom, filters)
    with _lock:
        found = _world_cells.get(key)
    if found is not None:
        return found
    rows = np.flatnonzero(_mask(index, filters, WORLD))
    groups = _grouped(index, rows, _cell_keys(index, rows, zoom))
    lat = np.array([index.lat[g].mean() for g in groups], dtype=np.float64)
    lng = np.array([index.lng[g].mean() for g in groups], dtype=np.float64)
    with _lock:
        # Each entry holds every row's number once; older versions' entries are of no use.
        for old in [k for k in _world_cells if k[0] != index.version]:
            del _world_cells[old]
        _world_cells[key] = (lat, lng, groups)
        while len(_world_cells) > WORLD_CELLS_KEPT:
            _world_cells.popitem(last=False)
    return lat, lng, groups


def served_markers(
    *, bbox: tuple[float, float, float, float], zoom: int, filters: Filters
) -> dict[str, Any]:
    """Markers of the places groups serve away from home, in view.

    From PLACES_FROM_ZOOM on: one marker per served place, naming the groups serving it. Below:
    one marker per grid cell with how many groups serve places in it (each group once per cell).
    """
    index = served_index()
    if zoom >= PLACES_FROM_ZOOM:
        rows = np.flatnonzero(_mask(index, filters, bbox))
        groups = _grouped(index, rows, index.place_ids[rows])
    else:
        lat, lng, every = _cells(index, zoom, filters)
        west, south, east, north = bbox
        seen = (lat >= south) & (lat <= north) & (lng >= west) & (lng <= east)
        groups = [every[i] for i in np.flatnonzero(seen).tolist()]
    # Densest first, so a capped answer keeps the places most groups serve.
    groups.sort(key=len, reverse=True)
    shown = groups[:MARKERS_MAX]
    members = [np.unique(index.org_ids[g]).tolist() for g in shown]
    labels = organization_labels(sorted({o for orgs in members for o in orgs[:NAMES_SHOWN]}))
    markers = []
    for g, orgs in zip(shown, members, strict=True):
        marker: dict[str, Any] = {
            "lat": round(float(index.lat[g].mean()), 5),
            "lng": round(float(index.lng[g].mean()), 5),
            "groups": len(orgs),
            "items": [labels[o] for o in orgs[:NAMES_SHOWN] if o in labels],
        }
        if zoom >= PLACES_FROM_ZOOM:
            marker["place"] = index.names.get(int(index.place_ids[g[0]]), "")
        markers.append(marker)
    return {"zoom": zoom, "markers": markers, "truncated": len(groups) > len(shown)}
