"""Groups serving places from elsewhere: the search by place's second list, and the counts of
the roll-up tables of place pages.

A group is "based" in every place that contains its home, and "serving" in every other place
that contains one of its service-area places. Counted per place as distinct groups, so a chapter
serving forty towns of one county counts once in that county, and once in its state unless it is
based there (then it is based, not serving).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from django.db import connection

from directory import search, selectors
from directory.models import IssueArea, Organization, OrganizationKind, OrganizationStatus
from places.models import Place

# A search by place lists at most this many groups that serve it from elsewhere, beside the
# groups based there: a place is served by a handful of groups, rarely hundreds.
SERVING_SHOWN = 100


def organization_search_serving(
    *,
    user: Any,
    place: Place,
    q: str = "",
    issue: IssueArea | str | None = None,
    kind: str = "",
    status: str = "",
) -> tuple[list[Organization], int]:
    """Groups based outside `place` (a tree place or region) whose service area reaches into it
    and that match the other filters: up to SERVING_SHOWN by name, and how many there are.

    Kept apart from `organization_search` so the listings based there keep their fast paths
    (index counts, name order from the map index). The look-up starts from the places inside
    `place` (their `lft` index) and reaches the groups through the service-area table's
    place index, so its cost follows how many served places lie there, not how many listings.
    """
    selectors._check_choice("kind", kind, OrganizationKind.values)
    selectors._check_choice("status", status, OrganizationStatus.values)
    issue_area = selectors.issue_area_resolve(issue)
    # Visitors who are not signed in all see the same answer: remembered per directory version.
    shared = not getattr(user, "is_authenticated", False) and not connection.in_atomic_block
    key = (
        selectors.directory_version(),
        place.pk,
        q,
        issue_area.pk if issue_area else None,
        kind,
        status,
    )
    if shared and key in _serving_remembered:
        ids, total = _serving_remembered[key]
        found = Organization.objects.select_related("home_place").in_bulk(ids)
        return [found[pk] for pk in ids if pk in found], total
    through = Organization.service_areas.through
    serving = through.objects.filter(place.contains_q("place__lft")).values("organization_id")
    spec = search.Spec(
        text=q,
        issue_bit=issue_area.bit if issue_area is not None else None,
        kind=kind,
        status=status,
        include_hidden=True,  # visibility is decided by visible_organizations below
    )
    qs = (
        selectors.visible_organizations(user)
        .filter(pk__in=serving)
        .exclude(place.contains_q("place_lft"))
        # Checked on the few serving rows' own columns, never through the text index.
        .filter(search.column_filter(spec))
        .order_by("name", "id")
    )
    shown = list(qs.select_related("home_place")[: SERVING_SHOWN + 1])
    total = len(shown) if len(shown) <= SERVING_SHOWN else qs.count()
    if shared:
        _serving_remembered[key] = ([o.pk for o in shown[:SERVING_SHOWN]], total)
        while len(_serving_remembered) > 256:
            _serving_remembered.popitem(last=False)
    return shown[:SERVING_SHOWN], total


_serving_remembered: OrderedDict[tuple[Any, ...], tuple[list[int], int]] = OrderedDict()


def _ranges(place: Place) -> list[tuple[int, int]]:
    if place.is_overlay:
        return [(m.lft, m.rgt) for m in place.members.all()]
    return [(place.lft, place.rgt)]


def _inside(values: np.ndarray, ranges: list[tuple[int, int]]) -> np.ndarray:
    hit = np.zeros(len(values), dtype=bool)
    for lo, hi in ranges:
        hit |= (values >= lo) & (values <= hi)
    return hit


def serving_counts(parent: Place, places: list[Place]) -> dict[int, int]:
    """Place id → public groups based outside it that serve somewhere inside it, for `places`
    lying inside `parent`. One query: the served places inside `parent` (their lft index),
    then the service-area table by place."""
    through = Organization.service_areas.through
    rows = list(
        through.objects.filter(parent.contains_q("place__lft"), organization__is_hidden=False)
        .exclude(organization__place_lft=None)
        .values_list("organization_id", "organization__place_lft", "place__lft")
    )
    counts = {p.pk: 0 for p in places}
    if not rows:
        return counts
    data = np.array(rows, dtype=np.int64)
    orgs, home, served = data[:, 0], data[:, 1], data[:, 2]
    for place in places:
        ranges = _ranges(place)
        serving = _inside(served, ranges) & ~_inside(home, ranges)
        counts[place.pk] = int(len(np.unique(orgs[serving])))
    return counts
