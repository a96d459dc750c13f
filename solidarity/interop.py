"""What leaves the hub: Murmurations offers and wants, an iCalendar feed of dated needs, and a
group's own CSV export. Only public, non-sensitive postings of listed groups are published."""

import io
import json
from datetime import UTC, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from icalendar import Calendar, Event
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from actions.links import public_host, public_url
from commonweal.lib import csvsafe
from directory.models import Organization
from solidarity.models import Kind, Pledge, SupportOffer, SupportRequest

SCHEMA_NAME = "offers_wants_schema-v0.1.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "murmurations"
# Goods are handed over; the rest is done by people for the receiver.
GOODS = {Kind.MONEY, Kind.EQUIPMENT, Kind.FOOD}
SCOPES = {"locality": "local", "county": "local", "state": "regional", "country": "national"}
MAX_ITEMS = 5000


@cache
def validator() -> Draft7Validator:
    """The stored schema, with its `../fields/…` references served from the stored files."""
    base = "https://library.murmurations.network/"
    resources = []
    for path in SCHEMA_DIR.glob("*/*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        uri = f"{base}{path.parent.name}/{path.name}"
        resources.append((uri, Resource.from_contents(contents, default_specification=_draft7())))
    registry: Registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMA_DIR / "schemas" / f"{SCHEMA_NAME}.json").read_text("utf-8"))
    schema["$id"] = f"{base}schemas/{SCHEMA_NAME}.json"
    return Draft7Validator(schema, registry=registry)


def _draft7() -> Any:
    from referencing.jsonschema import DRAFT7

    return DRAFT7


def _scope(posting: SupportRequest | SupportOffer) -> str:
    if posting.remote or posting.place is None:
        return "international"
    return SCOPES.get(posting.place.kind, "regional")


def murmurations_item(
    posting: SupportRequest | SupportOffer, request: HttpRequest
) -> dict[str, Any]:
    """One offer or want in the Murmurations shape. The contact is the posting's page on the
    hub: a person's address is shared only once both groups agree."""
    is_request = isinstance(posting, SupportRequest)
    page = public_url(posting.get_absolute_url(), request)
    tags = [posting.kind, posting.organization.name]
    if posting.issue_area is not None:
        tags.append(posting.issue_area.name)
    item: dict[str, Any] = {
        "linked_schemas": [SCHEMA_NAME],
        "exchange_type": "want" if is_request else "offer",
        "item_type": "good" if posting.kind in GOODS else "service",
        "transaction_type": ["receive-donate"],
        "tags": list(dict.fromkeys(tags)),
        "title": posting.title,
        "description": posting.description or posting.title,
        "details_url": page,
        "geographic_scope": _scope(posting),
        "contact_details": {"contact_form": posting.link_url or page},
    }
    place = posting.place
    if place is not None and place.latitude is not None and place.longitude is not None:
        item["geolocation"] = {"lat": place.latitude, "lon": place.longitude}
    ends = posting.needed_by if is_request else posting.available_until  # type: ignore[union-attr]
    if ends:
        item["expires_at"] = int(datetime.combine(ends, time.max, tzinfo=UTC).timestamp())
    return item


def murmurations_items(
    requests: QuerySet[SupportRequest], offers: QuerySet[SupportOffer], request: HttpRequest
) -> list[dict[str, Any]]:
    items = [murmurations_item(r, request) for r in requests[:MAX_ITEMS]]
    items += [murmurations_item(o, request) for o in offers[:MAX_ITEMS]]
    check = validator()
    # Never publish what the schema would refuse; a failure here is a bug, not bad input.
    for item in items:
        check.validate(item)
    return items


def needs_calendar(requests: QuerySet[SupportRequest], request: HttpRequest) -> bytes:
    """An all-day event on the day each dated need is needed by."""
    cal = Calendar()
    cal.add("prodid", "-//Commonweal//Support between groups//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Needs")
    host = public_host(request)
    for req in requests.exclude(needed_by=None).order_by("needed_by", "id")[:MAX_ITEMS]:
        event = Event()
        event.add("uid", f"need-{req.pk}@{host}")
        event.add("dtstamp", req.updated_at.astimezone(UTC))
        event.add("dtstart", req.needed_by)
        event.add("summary", f"{req.organization.name}: {req.title}")
        event.add("description", req.description or req.title)
        event.add("url", public_url(req.get_absolute_url(), request))
        if req.place is not None:
            event.add("location", req.place.name)
        cal.add_component(event)
    return cal.to_ical()


def organization_csv(org: Organization) -> str:
    """Everything the group owns here: its requests, offers and the pledges it made or got."""
    out = io.StringIO()
    w = csvsafe.writer(out)
    w.writerow(
        [
            "record",
            "id",
            "title",
            "kind",
            "quantity",
            "currency",
            "unit",
            "place",
            "state",
            "other_group",
            "amount",
            "delivered",
            "received",
            "created_at",
        ]
    )
    for r in SupportRequest.objects.filter(organization=org).select_related("place"):
        w.writerow(
            [
                "request",
                r.pk,
                r.title,
                r.kind,
                r.quantity or "",
                r.currency,
                r.unit,
                r.place.name if r.place else "",
                r.state,
                "",
                r.pledged,
                "",
                r.received,
                r.created_at.isoformat(),
            ]
        )
    for o in SupportOffer.objects.filter(organization=org).select_related("place"):
        w.writerow(
            [
                "offer",
                o.pk,
                o.title,
                o.kind,
                o.quantity or "",
                o.currency,
                o.unit,
                o.place.name if o.place else "",
                "active" if o.active else "withdrawn",
                "",
                "",
                "",
                "",
                o.created_at.isoformat(),
            ]
        )
    pledges = Pledge.objects.select_related("request__organization", "organization")
    for p in pledges.filter(organization=org):
        w.writerow(
            [
                "pledge_made",
                p.pk,
                p.request.title,
                p.request.kind,
                "",
                p.request.currency,
                p.request.unit,
                "",
                p.state,
                p.request.organization.name,
                p.amount,
                p.delivered_amount or "",
                p.received_amount or "",
                p.created_at.isoformat(),
            ]
        )
    for p in pledges.filter(request__organization=org):
        w.writerow(
            [
                "pledge_received",
                p.pk,
                p.request.title,
                p.request.kind,
                "",
                p.request.currency,
                p.request.unit,
                "",
                p.state,
                p.organization.name,
                p.amount,
                p.delivered_amount or "",
                p.received_amount or "",
                p.created_at.isoformat(),
            ]
        )
    return out.getvalue()
