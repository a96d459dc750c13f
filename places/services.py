"""Writes to the place tree and overlay regions."""

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils.text import slugify

from places.geocoder import normalize
from places.models import OVERLAY_KINDS, Place, PlacesState

# Sent after `place_tree_renumber` changed some numbers. Apps that copy `lft` (the directory's
# Organization.place_lft) listen, so places never has to import them.
tree_renumbered = Signal()


def places_touch() -> int:
    """Bump the places version so per-process caches (the geocoder) rebuild; return it."""
    updated = PlacesState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        PlacesState.objects.get_or_create(pk=1, defaults={"version": 1})
    return PlacesState.objects.values_list("version", flat=True).get(pk=1)


def tree_numbers(rows: Iterable[tuple[int, int | None, str]]) -> dict[int, tuple[int, int, int]]:
    """Pre-order (lft, rgt, depth) for tree rows of (id, parent id, name); children in name
    order, so the same tree always gets the same numbers."""
    children: dict[int | None, list[tuple[str, int]]] = defaultdict(list)
    for pk, parent_id, name in rows:
        children[parent_id].append((name, pk))
    numbers: dict[int, tuple[int, int, int]] = {}
    counter = 0
    # Iterative depth-first walk: the tree is ~200k places but only 5 levels deep and wide.
    stack: list[tuple[int, int, bool]] = [
        (pk, 0, False) for _, pk in sorted(children[None], reverse=True)
    ]
    lft_of: dict[int, int] = {}
    while stack:
        pk, depth, done = stack.pop()
        counter += 1
        if done:
            numbers[pk] = (lft_of[pk], counter, depth)
            continue
        lft_of[pk] = counter
        stack.append((pk, depth, True))
        for _, child in sorted(children.get(pk, []), reverse=True):
            stack.append((child, depth + 1, False))
    return numbers


@transaction.atomic
def place_tree_renumber() -> int:
    """Give every tree place pre-order `lft`/`rgt` numbers and `depth`; return how many
    rows changed.

    Organizations copy `lft`; listeners of `tree_renumbered` refresh their copies.
    """
    current: dict[int, tuple[int, int, int]] = {}
    rows = []
    for pk, parent_id, name, lft, rgt, depth in Place.objects.exclude(
        kind__in=OVERLAY_KINDS
    ).values_list("id", "parent_id", "name", "lft", "rgt", "depth"):
        rows.append((pk, parent_id, name))
        current[pk] = (lft, rgt, depth)
    # Loading again usually changes nothing; writing only what moved keeps that fast.
    changed = [
        (lft, rgt, depth, pk)
        for pk, (lft, rgt, depth) in tree_numbers(rows).items()
        if current[pk] != (lft, rgt, depth)
    ]
    place_rows_update(["lft", "rgt", "depth"], changed)
    if changed:
        tree_renumbered_notify(len(changed))
    return len(changed)


def tree_renumbered_notify(changed: int) -> None:
    """Tell caches and copies of `lft` that the tree's numbers moved."""
    places_touch()
    tree_renumbered.send(sender=Place, changed=changed)


def place_rows_update(fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """UPDATE many places by id, each row being the new `fields` values followed by the id.

    Django's bulk_update builds one CASE per field per batch, which takes minutes for the
    ~200k places of a world load; a prepared statement run many times takes seconds.
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(f)} = %s" for f in fields)
    sql = f"UPDATE {qn(Place._meta.db_table)} SET {sets} WHERE {qn('id')} = %s"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _region_slug(name: str) -> str:
    base = slugify(name)[:100] or "region"
    slug, n = base, 2
    while Place.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _region_members_check(members: list[Place]) -> None:
    if not members:
        raise ValidationError({"members": "A region needs at least one member place."})
    for member in members:
        if member.is_overlay:
            raise ValidationError(
                {"members": f"{member.name} is itself a region; add the places it is made of."}
            )


@transaction.atomic
def region_upsert(
    *,
    source_ref: str,
    name: str,
    kind: str,
    members: Iterable[Place],
    description: str = "",
    alternate_names: Iterable[str] = (),
) -> Place:
    """Create or refresh a shipped overlay region, keyed by `source_ref` (no user: the loader)."""
    if kind not in OVERLAY_KINDS:
        raise ValidationError({"kind": f"{kind!r} is not a kind of region."})
    member_list = list(members)
    _region_members_check(member_list)
    world = Place.objects.filter(parent__isnull=True, kind="world").first()
    region = Place.objects.filter(source_ref=source_ref).first()
    latitude, longitude = _members_centre(member_list)
    values: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "search_name": _search_name(name),
        "description": description,
        "alternate_names": "\n".join(alternate_names),
        "parent": world,
        "latitude": latitude,
        "longitude": longitude,
    }
    if region is None:
        region = Place.objects.create(source_ref=source_ref, slug=_region_slug(name), **values)
        changed = True
    else:
        changed = any(getattr(region, field) != value for field, value in values.items())
        if changed:
            for field, value in values.items():
                setattr(region, field, value)
            region.save()
    if changed or set(region.members.values_list("pk", flat=True)) != {m.pk for m in member_list}:
        region.members.set(member_list)
        # Loading again usually changes nothing; only a change should rebuild caches.
        places_touch()
    return region


def _members_centre(members: list[Place]) -> tuple[float | None, float | None]:
    """A region's point: the mean of its members' points on the sphere (so a region across the
    antimeridian works), so that every place, regions too, answers with coordinates."""
    x = y = z = 0.0
    for m in members:
        if m.latitude is None or m.longitude is None:
            continue
        la, lo = math.radians(m.latitude), math.radians(m.longitude)
        x, y, z = x + math.cos(la) * math.cos(lo), y + math.cos(la) * math.sin(lo), z + math.sin(la)
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-9:
        return None, None
    lat = math.degrees(math.asin(z / norm))
    return round(lat, 5), round(math.degrees(math.atan2(y, x)), 5)


def _search_name(name: str) -> str:
    return normalize(name)[:200]


def _coordinator_check(user: Any) -> None:
    if not getattr(user, "is_site_coordinator", False) or not user.is_active:
        raise PermissionDenied("Only site coordinators may change places and regions.")


@transaction.atomic
def region_create(
    *,
    user: Any,
    name: str,
    kind: str,
    members: Iterable[Place],
    description: str = "",
) -> Place:
    """A new overlay region (bioregion or macro-region) as the union of `members`."""
    _coordinator_check(user)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A region needs a name."})
    if kind not in OVERLAY_KINDS:
        raise ValidationError({"kind": f"{kind!r} is not a kind of region."})
    member_list = list(members)
    _region_members_check(member_list)
    world = Place.objects.filter(parent__isnull=True, kind="world").first()
    latitude, longitude = _members_centre(member_list)
    region = Place.objects.create(
        kind=kind,
        name=name,
        search_name=_search_name(name),
        slug=_region_slug(name),
        description=description,
        parent=world,
        latitude=latitude,
        longitude=longitude,
    )
    region.members.set(member_list)
    places_touch()
    return region


@transaction.atomic
def region_update(
    *,
    user: Any,
    region: Place,
    name: str | None = None,
    members: Iterable[Place] | None = None,
    description: str | None = None,
) -> Place:
    """Rename an overlay region, change its description or replace its member places."""
    _coordinator_check(user)
    if not region.is_overlay:
        raise ValidationError({"region": f"{region.name} is not a region."})
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": "A region needs a name."})
        region.name = name
        region.search_name = _search_name(name)
    if description is not None:
        region.description = description
    member_list = None if members is None else list(members)
    if member_list is not None:
        _region_members_check(member_list)
        region.latitude, region.longitude = _members_centre(member_list)
    region.save()
    if member_list is not None:
        region.members.set(member_list)
    places_touch()
    return region


@transaction.atomic
def region_delete(*, user: Any, region: Place) -> None:
    """Remove an overlay region (the places it was made of stay)."""
    _coordinator_check(user)
    if not region.is_overlay:
        raise ValidationError({"region": f"{region.name} is not a region; places stay."})
    region.delete()
    places_touch()


# Fields of a tree place a coordinator may correct; the tree's shape comes from the loader.
PLACE_EDITABLE_FIELDS = (
    "name",
    "description",
    "alternate_names",
    "latitude",
    "longitude",
    "population",
)


@transaction.atomic
def place_update(*, user: Any, place: Place, **fields: Any) -> Place:
    """Correct a place's name, description, other names, centre or population."""
    _coordinator_check(user)
    unknown = set(fields) - set(PLACE_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed here."})
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"]:
            raise ValidationError({"name": "A place needs a name."})
        place.search_name = _search_name(fields["name"])
    lat, lng = fields.get("latitude", place.latitude), fields.get("longitude", place.longitude)
    if lat is not None and not -90 <= lat <= 90:
        raise ValidationError({"latitude": "Latitude must be between -90 and 90."})
    if lng is not None and not -180 <= lng <= 180:
        raise ValidationError({"longitude": "Longitude must be between -180 and 180."})
    for field, value in fields.items():
        setattr(place, field, value)
    place.save()
    places_touch()
    return place
