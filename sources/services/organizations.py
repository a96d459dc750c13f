"""Listings made from records: new organizations for records that have none, and organizations
brought up to date with their records (the most recently seen record wins each field)."""

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from directory import search, tagging
from directory.importing import issue_matcher, organization_values
from directory.models import IssueArea, IssueAreaOrigin, Organization
from directory.services import directory_touch
from sources import bulk
from sources.models import (
    ORIGIN_RANK,
    FieldProvenance,
    ImportRun,
    Origin,
    SourceRecord,
)
from sources.services.cleaning import CHUNK
from sources.services.geocoding import _Places
from sources.services.provenance import _save_fields, _set_value


def organization_ids_of_records(
    record_ids: list[int], *, older_than: ImportRun | None = None
) -> set[int]:
    """The organizations these records belong to (only records first seen before `older_than`
    when given), asked a few thousand records at a time."""
    found: set[int] = set()
    for i in range(0, len(record_ids), 5000):
        records = SourceRecord.objects.filter(
            pk__in=record_ids[i : i + 5000], organization__isnull=False
        )
        if older_than is not None:
            records = records.exclude(first_seen_run=older_than)
        found.update(records.values_list("organization_id", flat=True))
    return found


_ORG_SOURCE_FIELDS = (
    "pk",
    "name",
    "description",
    "place_id",
    "latitude",
    "longitude",
    "website",
    "facebook",
    "email_clean",
    "phone",
    "tags",
    "languages",
    "links",
    "service_places",
)


def organizations_for_records(*, record_ids: list[int]) -> int:
    """The default resolution: each record without an organization gets a new one, built from
    its fields, with import provenance for each field. Returns how many were created."""
    places = _Places()
    slugs: set[str] = set(Organization.objects.values_list("slug", flat=True))
    now = timezone.now()
    # Many new listings are indexed for search in one statement after they are written,
    # which costs half of what indexing them one insert at a time does.
    first_new_id = (Organization.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    paused = search.triggers_paused(first_new_id=first_new_id) if len(record_ids) >= 500 else None
    with paused or contextlib.nullcontext():
        total = _organizations_create(record_ids, places, slugs, now)
    if total:
        directory_touch()
    return total


def _organizations_create(record_ids: list[int], places: _Places, slugs: set[str], now: Any) -> int:
    match_issues = issue_matcher()
    all_areas = list(IssueArea.objects.order_by("bit"))
    by_slug = {a.slug: a for a in all_areas}
    through = Organization.issue_areas.through
    total = 0
    for i in range(0, len(record_ids), CHUNK):
        records = list(
            SourceRecord.objects.filter(pk__in=record_ids[i : i + CHUNK], organization__isnull=True)
            .order_by("pk")
            .values(*_ORG_SOURCE_FIELDS)
        )
        if not records:
            continue
        places.fill(r["place_id"] for r in records if r["place_id"])
        orgs: list[dict[str, Any]] = []
        areas: list[list[IssueArea]] = []
        # A first tagging at once, by the keyword rules and the file's own tags; the sentence
        # model refines it after the import (outreach.receivers), never inside its transaction.
        suggested = tagging.suggest_by_keywords(
            [tagging.organization_text(r["name"], r["description"]) for r in records], all_areas
        )
        for record, area_slugs in zip(records, suggested, strict=True):
            base = slugify(record["name"])[:120] or "organization"
            slug, k = base, 1
            while slug in slugs:
                k += 1
                slug = f"{base}-{k}"
            slugs.add(slug)
            lat, lng = record["latitude"], record["longitude"]
            place_id = record["place_id"]
            if lat is None and place_id:
                lat, lng = places.coords.get(place_id, (None, None))
            named = match_issues(" ".join(record["tags"])) if record["tags"] else []
            issue_areas = list(dict.fromkeys([*named, *(by_slug[s] for s in area_slugs)]))[
                : tagging.MAX_AREAS
            ]
            areas.append(issue_areas)
            orgs.append(
                organization_values(
                    name=record["name"],
                    slug=slug,
                    description=record["description"],
                    home_place_id=place_id,
                    place_lft=places.lft.get(place_id) if place_id else None,
                    latitude=lat,
                    longitude=lng,
                    website=record["website"],
                    facebook=record["facebook"],
                    email=record["email_clean"],
                    phone=record["phone"],
                    issue_areas=issue_areas,
                    languages=record["languages"],
                    links=record["links"],
                )
            )
            if issue_areas:
                orgs[-1]["issue_areas_origin"] = IssueAreaOrigin.AUTO
        bulk.insert(Organization, orgs, now=now)
        ids = dict(
            Organization.objects.filter(slug__in=[o["slug"] for o in orgs]).values_list(
                "slug", "pk"
            )
        )
        bulk.insert(
            through,
            (
                {"organization_id": ids[org["slug"]], "issuearea_id": area.pk}
                for org, org_areas in zip(orgs, areas, strict=True)
                for area in org_areas
            ),
            now=now,
        )
        served = Organization.service_areas.through
        bulk.insert(
            served,
            (
                {"organization_id": ids[org["slug"]], "place_id": place_id}
                for record, org in zip(records, orgs, strict=True)
                for place_id in dict.fromkeys(record["service_places"] or [])
            ),
            now=now,
        )
        bulk.update(
            SourceRecord,
            ("organization_id",),
            ((ids[org["slug"]], record["pk"]) for record, org in zip(records, orgs, strict=True)),
        )
        bulk.insert(
            FieldProvenance,
            (
                {
                    "organization_id": ids[org["slug"]],
                    "field": name,
                    "value": value,
                    "origin": Origin.IMPORT,
                    "record_id": record["pk"],
                    "recorded_at": now,
                }
                for record, org in zip(records, orgs, strict=True)
                for name, value in _listing_values(org, record["service_places"]).items()
                if value not in (None, "", [], {})
            ),
            now=now,
        )
        total += len(orgs)
    return total


def _listing_values(org: dict[str, Any], service_places: list[int]) -> dict[str, Any]:
    """A listing's import-tracked fields (from its column values) as JSON values."""
    return {
        "name": org["name"],
        "description": org["description"],
        "home_place": org["home_place_id"],
        "latitude": org["latitude"],
        "longitude": org["longitude"],
        "website": org["website"],
        "facebook": (org["social_links"] or {}).get("facebook", ""),
        "public_email": org["public_email"],
        "public_phone": org["public_phone"],
        "languages": org["languages"],
        "links": org["links"],
        "service_areas": sorted(set(service_places or [])),
    }


def _record_listing_values(record: SourceRecord, places: _Places) -> dict[str, Any]:
    built = organization_values(
        name=record.name,
        slug="-",
        description=record.description,
        home_place_id=record.place_id,
        latitude=record.latitude,
        longitude=record.longitude,
        website=record.website,
        facebook=record.facebook,
        email=record.email_clean,
        phone=record.phone,
        languages=record.languages,
        links=record.links,
    )
    values = _listing_values(built, record.service_places)
    if values["latitude"] is None and record.place_id in places.coords:
        values["latitude"], values["longitude"] = places.coords[record.place_id]
    return values


def organization_apply_records(*, organization: Organization) -> list[str]:
    """Bring one organization's imported fields up to date with its records; see
    `organizations_apply_records`. Returns the fields that changed."""
    changed = organizations_apply_records(organization_ids=[organization.pk]).get(
        organization.pk, []
    )
    if changed:
        organization.refresh_from_db()
    return changed


_APPLY_CHUNK = 500


@transaction.atomic
def organizations_apply_records(*, organization_ids: Iterable[int]) -> dict[int, list[str]]:
    """Bring organizations' imported fields up to date with their records: the most recently
    seen record that says something wins each field, unless a claim or a coordinator set it.
    Works a few hundred organizations per query, as a resolution can touch thousands.
    Returns, per organization, the fields whose value changed."""
    ids = sorted(set(organization_ids))
    now = timezone.now()
    import_rank = ORIGIN_RANK[Origin.IMPORT]
    result: dict[int, list[str]] = {}
    for start in range(0, len(ids), _APPLY_CHUNK):
        chunk = ids[start : start + _APPLY_CHUNK]
        records: dict[int, list[SourceRecord]] = defaultdict(list)
        for record in SourceRecord.objects.filter(
            organization_id__in=chunk, vanished=False
        ).order_by("-last_seen_run_id", "-updated_at", "-pk"):
            if record.organization_id is not None:
                records[record.organization_id].append(record)
        places = _Places()
        places.fill(r.place_id for rs in records.values() for r in rs if r.place_id)
        said: dict[int, dict[str, dict[str, FieldProvenance]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for p in FieldProvenance.objects.filter(organization_id__in=list(records)):
            said[p.organization_id][p.field][p.origin] = p
        orgs = Organization.objects.in_bulk(list(records))
        new: list[FieldProvenance] = []
        renewed: list[FieldProvenance] = []
        for org_id, org_records in records.items():
            org = orgs[org_id]
            chosen: dict[str, tuple[Any, SourceRecord]] = {}
            for record in org_records:
                for name, value in _record_listing_values(record, places).items():
                    if name not in chosen and value not in (None, "", [], {}):
                        chosen[name] = (value, record)
            changed: list[str] = []
            for name, (value, record) in chosen.items():
                by_origin = said[org_id][name]
                mine = by_origin.get(Origin.IMPORT)
                if mine is None:
                    new.append(
                        FieldProvenance(
                            organization_id=org_id,
                            field=name,
                            origin=Origin.IMPORT,
                            value=value,
                            record=record,
                            recorded_at=now,
                        )
                    )
                elif mine.value != value or mine.record_id != record.pk:
                    mine.value, mine.record, mine.recorded_at = value, record, now
                    renewed.append(mine)
                if any(ORIGIN_RANK[Origin(o)] > import_rank for o in by_origin):
                    continue  # a claim or a coordinator holds this field
                if _set_value(org, name, value, places):
                    changed.append(name)
            if changed:
                _save_fields(org, changed, touch=False)
                result[org_id] = changed
        FieldProvenance.objects.bulk_create(new, batch_size=1000)
        bulk.update(
            FieldProvenance,
            ("value", "record_id", "recorded_at"),
            ([p.value, p.record_id, p.recorded_at, p.pk] for p in renewed),
        )
    if result:
        directory_touch()
    return result
