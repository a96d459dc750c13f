"""The provenance of fields: who said what about each field of a listing, and which origin
wins it (claim and coordinator outrank import; between equals the latest wins)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from directory.models import IssueArea, Organization
from directory.services import directory_touch, issue_mask_of
from places.models import Place
from sources.models import (
    ORIGIN_RANK,
    FieldProvenance,
    Origin,
    SourceRecord,
)
from sources.services.geocoding import _Places

# Organization fields an import sets and whose provenance is kept.
IMPORT_FIELDS = (
    "name",
    "description",
    "home_place",
    "latitude",
    "longitude",
    "website",
    "facebook",
    "public_email",
    "public_phone",
    "languages",
    "links",
    "service_areas",
)
# Fields claims and coordinators may also set through `field_set`.
SETTABLE_FIELDS = frozenset(IMPORT_FIELDS) | {"kind", "issue_areas", "languages", "status"}


def _user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _field_record(
    *,
    organization: Organization,
    name: str,
    value: Any,
    origin: str,
    by: Any,
    record: SourceRecord | None,
) -> bool:
    """Write the provenance row; set the value on the (unsaved) organization if this origin
    wins the field. True when the organization's value changed."""
    FieldProvenance.objects.update_or_create(
        organization=organization,
        field=name,
        origin=origin,
        defaults={
            "value": value,
            "record": record,
            "recorded_by": _user(by),
            "recorded_at": timezone.now(),
        },
    )
    rank = ORIGIN_RANK[Origin(origin)]
    outranked = any(
        ORIGIN_RANK[Origin(o)] > rank
        for o in FieldProvenance.objects.filter(organization=organization, field=name)
        .exclude(origin=origin)
        .values_list("origin", flat=True)
    )
    if outranked:
        return False
    return _set_value(organization, name, value)


def _set_value(org: Organization, name: str, value: Any, places: _Places | None = None) -> bool:
    if name == "facebook":
        links = dict(org.social_links or {})
        if links.get("facebook", "") == (value or ""):
            return False
        if value:
            links["facebook"] = value
        else:
            links.pop("facebook", None)
        org.social_links = links
        return True
    if name == "home_place":
        place_id = value.pk if isinstance(value, Place) else value
        if org.home_place_id == place_id:
            return False
        places = places or _Places()
        if place_id:
            places.fill([place_id])
        known = bool(place_id) and place_id in places.lft
        org.home_place_id = place_id if known else None
        org.place_lft = places.lft[place_id] if known else None
        return True
    if name == "issue_areas":
        slugs = sorted(a.slug if isinstance(a, IssueArea) else str(a) for a in value or [])
        areas = list(IssueArea.objects.filter(slug__in=slugs))
        if sorted(a.slug for a in org.issue_areas.all()) == slugs:
            return False
        org.issue_areas.set(areas)
        org.issue_mask = issue_mask_of(areas)
        return True
    if name == "service_areas":
        ids = sorted({p.pk if isinstance(p, Place) else int(p) for p in value or []})
        if sorted(org.service_areas.values_list("pk", flat=True)) == ids:
            return False
        org.service_areas.set(Place.objects.filter(pk__in=ids))
        return True
    if getattr(org, name) == value:
        return False
    setattr(org, name, value)
    return True


def _save_fields(org: Organization, names: list[str], *, touch: bool = True) -> None:
    # Many-to-many fields are saved by `_set_value` itself.
    columns = {
        "social_links" if f == "facebook" else f
        for f in names
        if f not in ("issue_areas", "service_areas")
    }
    if "home_place" in columns:
        columns.add("place_lft")
    if "issue_areas" in names:
        columns.add("issue_mask")
    org.save(update_fields=sorted(columns | {"updated_at"}))
    if touch:
        directory_touch()


@transaction.atomic
def field_set(
    *,
    organization: Organization,
    field: str,
    value: Any,
    origin: str,
    by: Any = None,
    record: SourceRecord | None = None,
) -> bool:
    """Record that `origin` says `field` of `organization` is `value`, and apply it if that
    origin wins the field (claim and coordinator outrank import; between equals the latest
    wins). The caller checks permissions. Returns True if the listing changed.

    Fields: name, kind, description, home_place (a Place or its id), latitude, longitude,
    website, facebook, public_email, public_phone, issue_areas (IssueAreas or slugs),
    languages, status.
    """
    if field not in SETTABLE_FIELDS:
        raise ValueError(f"unknown field {field!r}; known: {', '.join(sorted(SETTABLE_FIELDS))}")
    origin = Origin(origin)
    stored = value
    if isinstance(value, Place):
        stored = value.pk
    elif field == "service_areas":
        stored = sorted({p.pk if isinstance(p, Place) else int(p) for p in value or []})
    elif field == "issue_areas":
        stored = sorted(a.slug if isinstance(a, IssueArea) else str(a) for a in value or [])
    changed = _field_record(
        organization=organization, name=field, value=stored, origin=origin, by=by, record=record
    )
    if changed:
        _save_fields(organization, [field])
    if origin != Origin.IMPORT:
        audit_record(
            actor=_user(by),
            action=f"sources.field_set.{origin}",
            target=organization,
            data={"field": field, "applied": changed},
        )
    return changed


@transaction.atomic
def field_clear(*, organization: Organization, field: str, origin: str, by: Any = None) -> bool:
    """Withdraw what `origin` said about a field (a claim released, a correction undone); the
    next origin in rank takes the field back. Returns True if the listing changed."""
    origin = Origin(origin)
    FieldProvenance.objects.filter(organization=organization, field=field, origin=origin).delete()
    rest = sorted(
        FieldProvenance.objects.filter(organization=organization, field=field),
        key=lambda p: (ORIGIN_RANK[Origin(p.origin)], p.recorded_at),
    )
    if not rest:
        return False
    changed = _set_value(organization, field, rest[-1].value)
    if changed:
        _save_fields(organization, [field])
    return changed


# What a field holds when nobody says anything about it.
_EMPTY: dict[str, Any] = {
    "home_place": None,
    "latitude": None,
    "longitude": None,
    "languages": [],
    "links": [],
    "service_areas": [],
}


def fields_unsaid(*, organization_ids: set[int]) -> int:
    """Withdraw what imported records that no longer exist said about these organizations: the
    next origin in rank takes each such field back, or it is emptied when nobody else says
    anything. Returns how many fields changed."""
    stale = list(
        FieldProvenance.objects.filter(
            organization_id__in=list(organization_ids), origin=Origin.IMPORT, record__isnull=True
        ).values_list("pk", "organization_id", "field")
    )
    if not stale:
        return 0
    FieldProvenance.objects.filter(pk__in=[pk for pk, _org, _field in stale]).delete()
    orgs = Organization.objects.in_bulk({org for _pk, org, _field in stale})
    changed = 0
    for _pk, org_id, name in stale:
        org = orgs.get(org_id)
        if org is None:
            continue
        rest = sorted(
            FieldProvenance.objects.filter(organization_id=org_id, field=name),
            key=lambda p: (ORIGIN_RANK[Origin(p.origin)], p.recorded_at),
        )
        value = rest[-1].value if rest else _EMPTY.get(name, "")
        if _set_value(org, name, value):
            _save_fields(org, [name], touch=False)
            changed += 1
    return changed
