"""The time zone of a place, derived offline from its coordinates and the places inside it.

A call's times are typed as wall-clock times where the action happens, so the hub must know
which zone they are in. A place whose own point and every sampled place inside it fall in one
zone has that zone; a place that spans several (a country such as the United States, a
bioregion across a border, the world) has none, and whoever issues a call there chooses.

Zones come from tzfpy (time zone boundary polygons compiled into the package, no network) and
are resolved with the standard library's zoneinfo (tzdata supplies the rules where the system
has none). Nothing is stored on the place: a places field would save the lookups (see
actions/README.md), but places belong to another part of the hub.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils.translation import gettext
from tzfpy import get_tz

from places.models import Place

# Enough places inside a region to meet each of its zones, few enough to answer at once.
SAMPLE = 400
UTC = "UTC"


def zone_at(latitude: float | None, longitude: float | None) -> str | None:
    """The IANA zone at a point, or None for no point (or open sea, where only Etc/GMT±N is)."""
    if latitude is None or longitude is None:
        return None
    name = get_tz(float(longitude), float(latitude))
    if not name or name.startswith("Etc/"):
        return None
    return name


def is_zone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def all_zones() -> list[str]:
    """Every zone a person may choose: the canonical Area/City ones, and UTC."""
    areas: tuple[str, ...] = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/")
    areas += ("Australia/", "Europe/", "Indian/", "Pacific/")
    return [UTC, *sorted(z for z in available_timezones() if z.startswith(areas))]


def _points(place: Place) -> list[tuple[float | None, float | None]]:
    """The place's own point and those of a sample of the places inside it, largest first."""
    points: list[tuple[float | None, float | None]] = [(place.latitude, place.longitude)]
    if place.is_overlay:
        inside = Place.objects.none()
        members = list(place.members.all())
        points += [(m.latitude, m.longitude) for m in members]
        for m in members:
            inside = inside | Place.objects.filter(lft__gt=m.lft, rgt__lt=m.rgt)
    else:
        inside = Place.objects.filter(lft__gt=place.lft, rgt__lt=place.rgt)
    rows = (
        inside.exclude(latitude__isnull=True)
        .order_by("-population", "lft")
        .values_list("latitude", "longitude")[:SAMPLE]
    )
    return points + list(rows)


def place_zones(place: Place) -> list[str]:
    """The zones a place spans, most common first (as far as the sample shows)."""
    counts: dict[str, int] = {}
    for lat, lng in _points(place):
        zone = zone_at(lat, lng)
        if zone:
            counts[zone] = counts.get(zone, 0) + 1
    return sorted(counts, key=lambda z: (-counts[z], z))


def default_zone(place: Place | None) -> str | None:
    """The place's zone when it has exactly one; None when it spans several or is unknown."""
    if place is None:
        return None
    zones = place_zones(place)
    return zones[0] if len(zones) == 1 else None


def zone_choices(place: Place | None = None) -> list[tuple[str, Any]]:
    """Choices for a time zone select: the place's own zones first, then every zone grouped by
    its continent or ocean. Options show the zone without its group's name, so the longest
    ("America/Argentina/ComodRivadavia") still fits a phone-wide select."""
    first = place_zones(place) if place is not None else []
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in all_zones():
        if zone in first:
            continue
        area, _, rest = zone.partition("/")
        groups.setdefault(area if rest else gettext("Other"), []).append(
            (zone, (rest or zone).replace("_", " ").replace("/", " / "))
        )
    choices: list[tuple[str, Any]] = [(z, z.replace("_", " ")) for z in first]
    choices.extend(sorted(groups.items()))
    return choices
