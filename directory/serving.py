"""Counts of groups serving places from elsewhere, for the roll-up tables of place pages.

A group is "based" in every place that contains its home, and "serving" in every other place
that contains one of its service-area places. Counted per place as distinct groups, so a chapter
serving forty towns of one county counts once in that county, and once in its state unless it is
based there (then it is based, not serving).
"""

from __future__ import annotations

import numpy as np

from directory.models import Organization
from places.models import Place


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
