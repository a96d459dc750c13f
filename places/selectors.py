"""Reads of places. Places are public, so "for user" only fixes the shape of every access
function; nothing here hides a place from anyone."""

from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import Http404

from places.geocoder import normalize
from places.models import OVERLAY_KINDS, Place, PlaceKind

# Suggestions list the big, broad places first.
_SEARCH_ORDER: dict[str, int] = {
    PlaceKind.COUNTRY: 0,
    PlaceKind.STATE: 1,
    PlaceKind.BIOREGION: 2,
    PlaceKind.MACROREGION: 2,
    PlaceKind.LOCALITY: 3,
    PlaceKind.COUNTY: 4,
    PlaceKind.WORLD: 5,
}


def get_place_for_user(user: Any, slug_or_pk: str | int) -> Place:
    """The place with this slug (or primary key); 404 when there is none."""
    key = str(slug_or_pk).strip()
    if not key:
        raise Http404("No place given.")
    place = None
    if key.isdigit():
        place = Place.objects.filter(pk=int(key)).first()
    if place is None:
        place = Place.objects.filter(slug=key).first()
    if place is None:
        raise Http404(f"No place {key!r}.")
    return place


def place_children_for_user(user: Any, place: Place | None) -> QuerySet[Place]:
    """The places one level below `place` (the top of the tree when None). A region's children
    are the places it is made of."""
    if place is None:
        return Place.objects.tree().filter(parent__isnull=True).order_by("name")
    if place.is_overlay:
        return place.members.order_by("kind", "name")
    return Place.objects.tree().filter(parent=place).order_by("kind", "name")


def place_ancestors(place: Place) -> list[Place]:
    """From the root down to the place's parent (a region's parent is the world)."""
    chain: list[Place] = []
    seen = {place.pk}
    parent_id = place.parent_id
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = Place.objects.filter(pk=parent_id).first()
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_id
    chain.reverse()
    return chain


def place_overlays_containing(place: Place) -> QuerySet[Place]:
    """Regions that hold this place: those with it, or one of its ancestors, as a member."""
    if place.is_overlay:
        return Place.objects.none()
    ids = [place.pk, *(a.pk for a in place_ancestors(place))]
    return Place.objects.overlays().filter(members__in=ids).distinct().order_by("kind", "name")


def _prefix(norm: str) -> Q:
    if connection.vendor == "sqlite":
        # A range on the binary-collated column uses the index; LIKE would not.
        return Q(search_name__gte=norm, search_name__lt=norm + "\uffff")
    # PostgreSQL serves LIKE 'x%' from the varchar_pattern_ops index.
    return Q(search_name__startswith=norm)


def places_search(q: str, limit: int = 10) -> list[Place]:
    """Places whose name starts with `q`, for suggestion boxes: exact names first, then
    countries, states and regions, then localities by population, then counties."""
    norm = normalize(q or "")[:200]
    if not norm or limit <= 0:
        return []
    limit = min(limit, 50)
    matches = Place.objects.filter(_prefix(norm))
    areas = matches.filter(kind__in=[PlaceKind.COUNTRY, PlaceKind.STATE, *OVERLAY_KINDS])
    found: list[Place] = [
        *areas.order_by("name")[:limit],
        *matches.filter(kind=PlaceKind.LOCALITY).order_by(
            F("population").desc(nulls_last=True), "name"
        )[:limit],
        *matches.filter(kind=PlaceKind.COUNTY).order_by("name")[:limit],
    ]
    found.sort(key=lambda p: (p.search_name != norm, _SEARCH_ORDER.get(p.kind, 9)))
    return found[:limit]
