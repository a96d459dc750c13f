"""iCalendar feeds of calls and their local events, per call, per place and per organization.

Only what is public goes in: hidden listings are left out and a venue's street address appears
only where the group chose to show it.
"""

from datetime import UTC, date, timedelta

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from actions.links import public_host, public_url
from actions.models import CallState, CallToAction, Commitment, CommitmentState
from directory.models import Organization
from places.models import Place

STATUS: dict[str, str] = {
    CallState.GATHERING: "TENTATIVE",
    CallState.GO: "CONFIRMED",
    CallState.NOT_ENOUGH: "CANCELLED",
    CallState.CANCELLED: "CANCELLED",
}
# Feeds for places and organizations show recent and coming events, not the whole history.
HISTORY = timedelta(days=90)
MAX_EVENTS = 2000


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Commonweal//Calls to action//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _host(request: HttpRequest) -> str:
    return public_host(request)


def _call_event(call: CallToAction, request: HttpRequest) -> Event:
    event = Event()
    event.add("uid", f"call-{call.pk}@{_host(request)}")
    event.add("dtstamp", call.updated_at.astimezone(UTC))
    # On the call's own clock, so the feed says TZID=America/Los_Angeles:…T100000 and every
    # calendar shows the time the coalition gave, converted for its reader.
    event.add("dtstart", call.starts_at.astimezone(call.zone))
    if call.ends_at:
        event.add("dtend", call.ends_at.astimezone(call.zone))
    event.add("summary", f"{call.title} ({call.get_state_display().lower()})")
    event.add("description", call.description)
    event.add("status", STATUS.get(call.state, "TENTATIVE"))
    event.add("url", public_url(call.get_absolute_url(), request))
    event.add("location", call.scope.name)
    return event


def _local_event(c: Commitment, request: HttpRequest) -> Event:
    call, org = c.call, c.organization
    event = Event()
    event.add("uid", f"commitment-{c.pk}@{_host(request)}")
    event.add("dtstamp", c.updated_at.astimezone(UTC))
    assert c.event_date is not None  # feeds list only commitments with an event
    if c.event_time is not None:
        # The group's wall-clock time on its own zone's clock (TZID), not a floating time that
        # each calendar would read on its owner's clock.
        event.add("dtstart", c.event_start)
    else:
        event.add("dtstart", c.event_date)
        event.add("dtend", c.event_date + timedelta(days=1))
    event.add("summary", f"{call.title}: {org.name}")
    lines = [call.description]
    if c.accessibility:
        lines.append(f"Accessibility: {c.accessibility}")
    if c.expected_turnout:
        lines.append(f"Expected: {c.expected_turnout} people")
    event.add("description", "\n\n".join(lines))
    place = org.home_place.name if org.home_place else ""
    where = [c.venue, c.address if c.address_public else "", place]
    event.add("location", ", ".join(part for part in where if part))
    withdrawn = c.state == CommitmentState.WITHDRAWN
    event.add("status", "CANCELLED" if withdrawn else STATUS.get(call.state, "TENTATIVE"))
    event.add("url", public_url(call.get_absolute_url(), request))
    event.add(
        "organizer",
        public_url(reverse("organization", args=[org.slug]), request),
        parameters={"cn": org.name},
    )
    if org.latitude is not None and org.longitude is not None:
        event.add("geo", (org.latitude, org.longitude))
    return event


def _local_events(qs: QuerySet[Commitment]) -> QuerySet[Commitment]:
    return (
        qs.filter(
            event_date__isnull=False,
            organization__is_hidden=False,
            call__coalition__is_hidden=False,
        )
        .select_related("call", "call__scope", "organization", "organization__home_place")
        .order_by("event_date", "id")
    )


def call_calendar(call: CallToAction, request: HttpRequest) -> bytes:
    cal = _calendar(call.title)
    cal.add_component(_call_event(call, request))
    for c in _local_events(Commitment.objects.filter(call=call))[:MAX_EVENTS]:
        cal.add_component(_local_event(c, request))
    return _finish(cal)


def _finish(cal: Calendar) -> bytes:
    # A VTIMEZONE for every TZID used, as RFC 5545 asks, for clients without the IANA names.
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _recent() -> date:
    return (timezone.now() - HISTORY).date()


def place_calendar(place: Place, request: HttpRequest) -> bytes:
    cal = _calendar(f"Actions in {place.name}")
    qs = Commitment.objects.filter(place.contains_q("place_lft"), event_date__gte=_recent())
    for c in _local_events(qs)[:MAX_EVENTS]:
        cal.add_component(_local_event(c, request))
    return _finish(cal)


def organization_calendar(org: Organization, request: HttpRequest) -> bytes:
    cal = _calendar(f"Actions of {org.name}")
    seen: set[int] = set()
    for c in _local_events(Commitment.objects.filter(organization=org))[:MAX_EVENTS]:
        cal.add_component(_local_event(c, request))
        seen.add(c.call_id)
    # The calls it issued as a coalition, too.
    for call in CallToAction.objects.filter(coalition=org).select_related("scope")[:MAX_EVENTS]:
        if call.pk not in seen:
            cal.add_component(_call_event(call, request))
    return _finish(cal)
