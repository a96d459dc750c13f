"""Local events and attendances in OSDI's JSON shape (HAL+JSON, as Action Network serves it).

Events are the local events groups hold under a call. An attendance is a group's commitment to
attend with its people; individual people are never exposed, so attendances link to the
organization (`commonweal:organization`) rather than to an `osdi:person`.
Collections are paginated with `page` and `per_page` and may be narrowed with `call`, `place`
or `organization` (slugs).
"""

from datetime import datetime
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse

from actions.links import public_host, public_url
from actions.models import CallState, Commitment, CommitmentState
from directory.models import Organization
from places.models import Place, PlaceKind

ORIGIN = "Commonweal"
CURIES = [
    {"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True},
    {"name": "commonweal", "href": "/actions/osdi/docs/{rel}", "templated": True},
]
MAX_PER_PAGE = 100
STATUS: dict[str, str] = {
    CallState.GATHERING: "tentative",
    CallState.GO: "confirmed",
    CallState.NOT_ENOUGH: "cancelled",
    CallState.CANCELLED: "cancelled",
}


class BadQuery(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def response(payload: dict[str, Any] | BadQuery) -> JsonResponse:
    if isinstance(payload, BadQuery):
        return JsonResponse(
            {"error": payload.message, "field": payload.field},
            status=400,
            content_type="application/hal+json",
        )
    return JsonResponse(
        payload, content_type="application/hal+json", json_dumps_params={"ensure_ascii": False}
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _link(request: HttpRequest, name: str, *args: Any) -> dict[str, str]:
    return {"href": public_url(reverse(name, args=args), request)}


def _host(request: HttpRequest) -> str:
    return public_host(request)


def entry_point(request: HttpRequest) -> dict[str, Any]:
    return {
        "motd": "Local events under calls to action, and the groups attending them.",
        "vendor_name": ORIGIN,
        "product_name": ORIGIN,
        "osdi_version": "1.1",
        "_links": {
            "curies": CURIES,
            "self": _link(request, "actions:osdi"),
            "osdi:events": _link(request, "actions:osdi_events"),
        },
    }


def _events() -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(
            event_date__isnull=False,
            organization__is_hidden=False,
            call__coalition__is_hidden=False,
        )
        .select_related("call", "organization", "organization__home_place")
        .order_by("event_date", "id")
    )


def _region_parts(place: Place | None) -> dict[str, str]:
    """locality / region / country for OSDI's postal address, from the place tree."""
    parts: dict[str, str] = {}
    chain = ([*place.ancestors(), place]) if place is not None else []
    for p in chain:
        if p.kind == PlaceKind.LOCALITY:
            parts["locality"] = p.name
        elif p.kind == PlaceKind.STATE:
            parts["region"] = p.iso_code.split("-")[-1] if p.iso_code else p.name
        elif p.kind == PlaceKind.COUNTRY:
            parts["country"] = p.iso_code or p.name
    return parts


def _event(request: HttpRequest, c: Commitment) -> dict[str, Any]:
    call, org = c.call, c.organization
    assert c.event_date is not None  # only commitments with an event are listed as events
    # With a time, the start carries its zone's offset, so no reader takes it for UTC.
    start = c.event_start if c.event_time else None
    location: dict[str, Any] = {"venue": c.venue, **_region_parts(org.home_place)}
    if c.address_public and c.address:
        location["address_lines"] = [c.address]
    if org.latitude is not None and org.longitude is not None:
        # The group's home coordinates, not the venue's: approximate on purpose.
        location["location"] = {
            "latitude": org.latitude,
            "longitude": org.longitude,
            "accuracy": "Approximate",
        }
    withdrawn = c.state == CommitmentState.WITHDRAWN
    return {
        "identifiers": [f"commonweal:event-{c.pk}@{_host(request)}"],
        "origin_system": ORIGIN,
        "created_date": _iso(c.created_at),
        "modified_date": _iso(c.updated_at),
        "name": f"{call.slug}-{org.slug}",
        "title": f"{call.title}: {org.name}",
        "description": call.description,
        "instructions": c.accessibility,
        "browser_url": public_url(call.get_absolute_url(), request),
        "start_date": start.isoformat() if start else c.event_date.isoformat(),
        "all_day": start is None,
        "status": "cancelled" if withdrawn else STATUS.get(call.state, "tentative"),
        "visibility": "public",
        "total_accepted": 0 if withdrawn else 1,
        "commonweal:expected_turnout": c.expected_turnout,
        "commonweal:reported_turnout": c.turnout if c.held else None,
        "location": location,
        "_links": {
            "self": _link(request, "actions:osdi_event", c.pk),
            "osdi:attendances": _link(request, "actions:osdi_attendances", c.pk),
            "osdi:organizer": {
                "href": public_url(reverse("organization", args=[org.slug]), request)
            },
            "commonweal:call": {"href": public_url(call.get_absolute_url(), request)},
        },
    }


def _attendance(request: HttpRequest, c: Commitment) -> dict[str, Any]:
    org = c.organization
    return {
        "identifiers": [f"commonweal:attendance-{c.pk}@{_host(request)}"],
        "origin_system": ORIGIN,
        "created_date": _iso(c.created_at),
        "modified_date": _iso(c.updated_at),
        "status": "declined" if c.state == CommitmentState.WITHDRAWN else "accepted",
        "attended": c.held if c.reported_at else None,
        "commonweal:organization_name": org.name,
        "commonweal:expected_turnout": c.expected_turnout,
        "commonweal:reported_turnout": c.turnout if c.held else None,
        "_links": {
            "self": _link(request, "actions:osdi_attendances", c.pk),
            "osdi:event": _link(request, "actions:osdi_event", c.pk),
            "commonweal:organization": {
                "href": public_url(reverse("organization", args=[org.slug]), request)
            },
        },
    }


def _filtered(request: HttpRequest) -> QuerySet[Commitment] | BadQuery:
    qs = _events()
    call = request.GET.get("call", "")
    if call:
        qs = qs.filter(call__slug=call)
    place_slug = request.GET.get("place", "")
    if place_slug:
        place = Place.objects.filter(slug=place_slug).first()
        if place is None:
            return BadQuery("place", f"There is no place “{place_slug}”.")
        qs = qs.filter(place.contains_q("place_lft"))
    org_slug = request.GET.get("organization", "")
    if org_slug:
        if not Organization.objects.public().filter(slug=org_slug).exists():
            return BadQuery("organization", f"There is no organization “{org_slug}”.")
        qs = qs.filter(Q(organization__slug=org_slug) | Q(call__coalition__slug=org_slug))
    return qs


def _int(request: HttpRequest, name: str, default: int, top: int) -> int | BadQuery:
    raw = request.GET.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not (1 <= int(raw) <= top):
        return BadQuery(name, f"“{name}” must be a whole number from 1 to {top}.")
    return int(raw)


def _collection(
    request: HttpRequest, qs: QuerySet[Commitment], rel: str, render: Any
) -> dict[str, Any] | BadQuery:
    per_page = _int(request, "per_page", 25, MAX_PER_PAGE)
    if isinstance(per_page, BadQuery):
        return per_page
    number = _int(request, "page", 1, 100_000)
    if isinstance(number, BadQuery):
        return number
    paginator = Paginator(qs, per_page)
    try:
        page = paginator.page(number)
    except EmptyPage:
        page = None
    items = [render(request, c) for c in (page.object_list if page else [])]
    query = request.GET.copy()
    links: dict[str, Any] = {
        "curies": CURIES,
        "self": {"href": public_url(request.get_full_path(), request)},
        rel: [item["_links"]["self"] for item in items],
    }
    if page is not None and page.has_next():
        query["page"] = str(number + 1)
        links["next"] = {"href": public_url(f"{request.path}?{query.urlencode()}", request)}
    if number > 1:
        query["page"] = str(number - 1)
        links["previous"] = {"href": public_url(f"{request.path}?{query.urlencode()}", request)}
    return {
        "total_pages": paginator.num_pages,
        "per_page": per_page,
        "page": number,
        "total_records": paginator.count,
        "_links": links,
        "_embedded": {rel: items},
    }


def events_page(request: HttpRequest) -> dict[str, Any] | BadQuery:
    qs = _filtered(request)
    if isinstance(qs, BadQuery):
        return qs
    return _collection(request, qs, "osdi:events", _event)


def _one(pk: int) -> Commitment:
    c = _events().filter(pk=pk).first()
    if c is None:
        raise Http404("No such event.")
    return c


def event_resource(request: HttpRequest, pk: int) -> dict[str, Any]:
    payload = _event(request, _one(pk))
    payload["_links"]["curies"] = CURIES
    return payload


def attendances_page(request: HttpRequest, pk: int) -> dict[str, Any] | BadQuery:
    c = _one(pk)
    return _collection(request, _events().filter(pk=c.pk), "osdi:attendances", _attendance)
