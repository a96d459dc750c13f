"""Reads for the bird's-eye view, from the cached figures only (never the listings).

`overview_for_place(place, issue=None)` is the whole page's data: a plain function the
million-listing benchmark calls as well. Everything it reads is public: the figures count only
public listings, bridges whose group or coalitions were hidden since are left out, and ties
of support are named only where both groups show them on their pages.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q

from directory.models import IssueArea
from directory.selectors import issue_area_resolve, issue_areas_list
from overview.drawing import Drawing, bridges_drawing
from overview.models import (
    ALL,
    COALITIONS,
    COMMITTED,
    HOME,
    RECENT,
    SERVING,
    FragileBridge,
    OverviewBuild,
    PlaceFigures,
    SupportTie,
)
from places.models import OVERLAY_KINDS, Place

BRIDGES_SHOWN = 12
# A state with thousands of towns directly below it: the matrix keeps the sub-places with the
# most groups, the gap list and the map name the first of the rest, and the page says so.
MAX_ROWS = 300
# What a link to a place opens with: its busiest sub-places, and a link to show them all. The
# world's 250 countries × 25 issues were 1.3 MB of HTML for a phone to open.
SHOWN_ROWS = 60
MAX_GAPS = 300
MAX_POINTS = 1500
# Shades of the heat map beyond "none": 1 (a few) to 4 (the most in this matrix).
SHADES = 4


@dataclass(slots=True)
class Cell:
    home: int
    serving: int
    coalitions: int
    committed: int
    recent: int
    shade: int = 0

    @property
    def present(self) -> int:
        """Groups working here: based here, or serving here from elsewhere."""
        return self.home + self.serving


@dataclass
class Row:
    pk: int
    name: str
    slug: str
    kind: str
    latitude: float | None
    longitude: float | None
    cells: list[Cell]
    total: Cell
    iso_code: str = ""
    source_ref: str = ""


@dataclass
class BridgeLine:
    group_name: str
    group_slug: str
    first_name: str
    first_slug: str
    second_name: str
    second_slug: str
    parts: int


@dataclass
class TieLine:
    helper_name: str
    helper_slug: str
    helped_name: str
    helped_slug: str
    deliveries: int


@dataclass
class Overview:
    place: Place
    issues: list[IssueArea]
    issue: IssueArea | None
    rows: list[Row]
    total: Row
    built_at: datetime | None
    # Sub-places where no one works on the chosen issue (or on anything, without one).
    gaps: list[Row] = field(default_factory=list)
    bridges: list[BridgeLine] = field(default_factory=list)
    bridges_total: int = 0
    drawing: Drawing | None = None
    sort: str = "name"
    descending: bool = False
    # Sub-places left out of the matrix, and gaps left out of the list, for room.
    rows_hidden: int = 0
    # Whether the matrix was asked for all the sub-places (up to MAX_ROWS) or the busiest.
    every: bool = False
    gaps_hidden: int = 0
    gaps_total: int = 0
    # Pairs of groups here tied by help one gave the other, and those both show, by name. Plain
    # defaults (not factories), so page parts pickled before these existed still read.
    ties_total: int = 0
    ties: tuple[TieLine, ...] = ()

    @property
    def rows_every(self) -> int:
        """How many rows the matrix has when asked for every sub-place."""
        return min(len(self.rows) + self.rows_hidden, MAX_ROWS)

    @property
    def has_figures(self) -> bool:
        return self.built_at is not None

    def map_points(self) -> list[dict[str, Any]]:
        """Sub-places and their coverage of the chosen issue, for the map: drawn as their
        boundary where one is known, else as a point where they have coordinates."""
        index = self._issue_index()
        points = []
        shown = {row.pk for row in self.rows}
        every = self.rows + [row for row in self.gaps if row.pk not in shown]
        for row in every[:MAX_POINTS]:
            cell = row.total if index is None else row.cells[index]
            points.append(
                {
                    # What a boundary file calls this place (see overview/boundaries.py).
                    "keys": [k for k in (row.iso_code, row.source_ref) if k],
                    "name": row.name,
                    "slug": row.slug,
                    "lat": row.latitude,
                    "lng": row.longitude,
                    "home": cell.home,
                    "serving": cell.serving,
                    "shade": cell.shade,
                }
            )
        return points

    def _issue_index(self) -> int | None:
        if self.issue is None:
            return None
        for i, area in enumerate(self.issues):
            if area.pk == self.issue.pk:
                return i
        return None


def last_build() -> OverviewBuild | None:
    return OverviewBuild.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def sub_places(place: Place) -> list[dict[str, Any]]:
    """The rows of a place's matrix: its children in the tree, or a region's member places."""
    fields = ("id", "name", "slug", "kind", "latitude", "longitude", "iso_code", "source_ref")
    if place.is_overlay:
        qs = place.members.order_by("name")
    else:
        qs = Place.objects.filter(parent=place).exclude(kind__in=OVERLAY_KINDS).order_by("name")
    return list(qs.values(*fields))


# Most cells of a big matrix are empty: they share one cell (whose shade stays 0).
_EMPTY = Cell(0, 0, 0, 0, 0)


def _cell(values: list[int] | None) -> Cell:
    if not values:
        return _EMPTY
    v = values
    return Cell(v[HOME], v[SERVING], v[COALITIONS], v[COMMITTED], v[RECENT])


def _shade(n: int, scale: float) -> int:
    """`scale` is (SHADES - 1) / log(top), or 0 when the busiest cell holds one group."""
    if n <= 0:
        return 0
    if scale == 0:
        return SHADES
    return 1 + min(SHADES - 1, int(scale * math.log(n) + 0.5))


def _scale(top: int) -> float:
    return (SHADES - 1) / math.log(top) if top > 1 else 0.0


def _row(info: dict[str, Any], figures: dict[str, list[int]], keys: list[str]) -> Row:
    return Row(
        pk=info["id"],
        name=info["name"],
        slug=info["slug"],
        kind=info["kind"],
        latitude=info["latitude"],
        longitude=info["longitude"],
        cells=[_cell(figures.get(key)) for key in keys],
        total=_cell(figures.get(ALL)),
        iso_code=info.get("iso_code", ""),
        source_ref=info.get("source_ref", ""),
    )


def _shaded(rows: list[Row]) -> None:
    """Shade each cell against the busiest cell of the matrix, on a log scale, so that one big
    city does not leave every other place pale."""
    scale = _scale(max((c.home + c.serving for r in rows for c in r.cells), default=0))
    scale_total = _scale(max((r.total.present for r in rows), default=0))
    for row in rows:
        for c in row.cells:
            c.shade = _shade(c.home + c.serving, scale)
        row.total.shade = _shade(row.total.present, scale_total)


def _sorted(rows: list[Row], issues: list[IssueArea], sort: str, descending: bool) -> list[Row]:
    if sort == "total":
        return sorted(rows, key=lambda r: (r.total.present, r.name), reverse=descending)
    for i, area in enumerate(issues):
        if area.slug == sort:
            return sorted(rows, key=lambda r: (r.cells[i].present, r.name), reverse=descending)
    return sorted(rows, key=lambda r: r.name.lower(), reverse=descending)


def _bridges(place: Place) -> tuple[list[BridgeLine], Drawing | None]:
    found = list(
        FragileBridge.objects.filter(place=place)
        .filter(Q(group__is_hidden=False) & Q(first__is_hidden=False) & Q(second__is_hidden=False))
        .select_related("group", "first", "second")
        .only(
            "parts",
            "coalition_ids",
            "group__name",
            "group__slug",
            "first__name",
            "first__slug",
            "second__name",
            "second__slug",
        )
        .order_by("rank")[:BRIDGES_SHOWN]
    )
    if not found:
        return [], None
    lines = [
        BridgeLine(
            b.group.name,
            b.group.slug,
            b.first.name,
            b.first.slug,
            b.second.name,
            b.second.slug,
            b.parts,
        )
        for b in found
    ]
    from directory.models import Organization

    wanted = {c for b in found for c in b.coalition_ids} | {b.group_id for b in found}
    shown = dict(
        (pk, (name, slug))
        for pk, name, slug in Organization.objects.public()
        .filter(pk__in=wanted)
        .values_list("id", "name", "slug")
    )
    names = {pk: name for pk, (name, _) in shown.items()}
    links = {pk: f"/organizations/{slug}/" for pk, (_, slug) in shown.items()}
    links_of = {b.group_id: [c for c in b.coalition_ids if c in shown] for b in found}
    return lines, bridges_drawing(links_of, names, links)


def overview_for_place(
    place: Place,
    issue: IssueArea | str | None = None,
    *,
    sort: str = "name",
    descending: bool = False,
    every: bool = False,
) -> Overview:
    """The bird's-eye view of `place` from the last rebuild: one row per sub-place, one column
    per issue area, the place's own totals, the gaps for `issue`, and its fragile bridges.

    The matrix keeps the busiest SHOWN_ROWS sub-places, or MAX_ROWS with `every`."""
    chosen = issue_area_resolve(issue)
    # The chosen issue's column comes first, where a phone shows it without scrolling.
    issues = sorted(issue_areas_list(), key=lambda a: chosen is None or a.pk != chosen.pk)
    keys = [str(area.bit) for area in issues]
    infos = sub_places(place)
    # Joined rather than a list of ids: a state may have thousands of towns below it.
    below = (
        PlaceFigures.objects.filter(place__overlays=place)
        if place.is_overlay
        else PlaceFigures.objects.filter(place__parent=place)
    )
    stored: dict[int, dict[str, list[int]]] = {}
    bridges_total = ties_total = 0
    rows_read = below.values_list("place_id", "figures", "bridges", "ties").union(
        PlaceFigures.objects.filter(place=place).values_list(
            "place_id", "figures", "bridges", "ties"
        ),
        all=True,
    )
    for pk, figures, bridges, ties in rows_read:
        stored[pk] = figures
        if pk == place.pk:
            bridges_total, ties_total = bridges, ties
    rows = [_row(info, stored.get(info["id"]) or {}, keys) for info in infos]
    _shaded(rows)
    own = {
        "id": place.pk,
        "name": place.name,
        "slug": place.slug,
        "kind": place.kind,
        "latitude": place.latitude,
        "longitude": place.longitude,
    }
    total = _row(own, stored.get(place.pk) or {}, keys)
    build = last_build()
    index = next((i for i, a in enumerate(issues) if chosen and a.pk == chosen.pk), None)

    def present(row: Row) -> int:
        return (row.total if index is None else row.cells[index]).present

    gaps = sorted((r for r in rows if present(r) == 0), key=lambda r: r.name.lower())
    shown = rows
    room = MAX_ROWS if every else min(SHOWN_ROWS, MAX_ROWS)
    if len(rows) > room:
        shown = sorted(rows, key=lambda r: (-r.total.present, -present(r), r.name))[:room]
    overview = Overview(
        place=place,
        issues=issues,
        issue=chosen,
        rows=_sorted(shown, issues, sort, descending),
        rows_hidden=len(rows) - len(shown),
        every=every,
        gaps=gaps[:MAX_GAPS],
        gaps_total=len(gaps),
        gaps_hidden=max(0, len(gaps) - MAX_GAPS),
        total=total,
        built_at=build.finished_at if build is not None else None,
        sort=sort,
        descending=descending,
    )
    overview.bridges_total = bridges_total
    if overview.bridges_total:
        overview.bridges, overview.drawing = _bridges(place)
    overview.ties_total = ties_total
    if ties_total:
        overview.ties = _ties(place)
    return overview


def _ties(place: Place) -> tuple[TieLine, ...]:
    found = (
        SupportTie.objects.filter(place=place, helper__is_hidden=False, helped__is_hidden=False)
        .select_related("helper", "helped")
        .only("deliveries", "helper__name", "helper__slug", "helped__name", "helped__slug")
        .order_by("rank")
    )
    return tuple(
        TieLine(t.helper.name, t.helper.slug, t.helped.name, t.helped.slug, t.deliveries)
        for t in found
    )
