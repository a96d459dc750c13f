"""How fresh a listing is: when its group last said it is still active, and what follows.

A listing counts from its last confirmation (the group's "still active" answer, or an edit by
its admins), or from when it was listed if never confirmed. Past FRESHNESS_INTERVAL_DAYS it
fades and its admins are asked again; past twice that it fades further. Nothing here writes:
the services confirm, the check-in chore (outreach/checkins.py) asks.
"""

import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Organization, OrganizationQuerySet, OrganizationStatus
from places.models import Place

DEFAULT_INTERVAL_DAYS = 180
DEFAULT_LINK_DAYS = 60
CHECKIN_SALT = "directory.checkin"

FRESH, FADING, STALE = "fresh", "fading", "stale"


def interval() -> timedelta:
    return timedelta(days=int(getattr(settings, "FRESHNESS_INTERVAL_DAYS", DEFAULT_INTERVAL_DAYS)))


def link_max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "CHECKIN_LINK_DAYS", DEFAULT_LINK_DAYS)))


# The same columns and expressions as the freshness indexes in directory/models.py.
LISTED = Q(status=OrganizationStatus.ACTIVE, is_hidden=False)


def confirmed_basis() -> Coalesce:
    """When a listing was last known to be right: confirmed, or else listed."""
    return Coalesce("last_confirmed_at", "created_at")


def checkin_basis() -> Greatest:
    """The later of the last confirmation and the last check-in: a check-in is due one
    interval after it."""
    return Greatest(confirmed_basis(), Coalesce("checkin_at", "created_at"))


def due_for_checkin(now: datetime) -> OrganizationQuerySet:
    """Listings whose check-in is due, longest waiting first (a walk of org_listed_checkin_due)."""
    return (
        Organization.objects.filter(LISTED)
        .alias(checkin_basis=checkin_basis())
        .filter(checkin_basis__lte=now - interval())
        .order_by(checkin_basis().asc(), "id")
    )


def staleness_rank(now: datetime) -> Case:
    """0 for fresh listings, 1 past the interval, 2 past twice: a leading sort key, so that
    where results are ordered by how well they fit (distance), unconfirmed ones come after."""
    span = interval()
    return Case(
        When(
            Q(last_confirmed_at__gt=now - span)
            | Q(last_confirmed_at__isnull=True, created_at__gt=now - span),
            then=Value(0),
        ),
        When(
            Q(last_confirmed_at__gt=now - 2 * span)
            | Q(last_confirmed_at__isnull=True, created_at__gt=now - 2 * span),
            then=Value(1),
        ),
        default=Value(2),
        output_field=IntegerField(),
    )


# Beyond this many listed groups in a place, its stale listings are found by walking every
# listing from the oldest (org_listed_confirmed_basis) rather than by reading the place's
# listings and sorting them: the world's took 10 s that way at a million listings.
WALK_FROM_OLDEST = 20_000


def stale_listings(
    now: datetime, place: Place | None = None, listed: int = 0
) -> OrganizationQuerySet:
    """Listed groups unconfirmed for longer than the interval, oldest first; inside `place`
    if given, which holds about `listed` listed groups (the plan depends on it)."""
    qs = (
        Organization.objects.filter(LISTED)
        .alias(basis=confirmed_basis())
        .filter(basis__lte=now - interval())
        .order_by("basis", "id")
    )
    if place is None:
        return qs
    if listed > WALK_FROM_OLDEST:
        # `place_lft + 0` keeps the planner off the place index, so it walks the oldest-first
        # one and tests each entry's place there.
        return qs.alias(lft_plain=F("place_lft") + 0).filter(place.contains_q("lft_plain"))
    return qs.filter(place.contains_q())


@dataclass(frozen=True)
class Freshness:
    level: str
    # "Confirmed 3 months ago", "Not confirmed since 2021": always shown beside the fading.
    label: str
    # A second words-only signal for faded listings ("May be out of date"), so the fading is
    # never told by colour or opacity alone.
    warning: str

    @property
    def css(self) -> str:
        return f"freshness-{self.level}"


def freshness_of(org: Organization, now: datetime | None = None) -> Freshness:
    now = now or timezone.now()
    confirmed = org.last_confirmed_at
    basis = confirmed or org.created_at or now
    age = now - basis
    span = interval()
    level = FRESH if age <= span else FADING if age <= 2 * span else STALE
    if confirmed is not None:
        if timezone.localdate(confirmed) == timezone.localdate(now):
            label = _("Confirmed today")
        elif level == FRESH:
            label = _("Confirmed %(ago)s ago") % {"ago": timesince(confirmed, now, depth=1)}
        elif level == FADING:
            label = _("Not confirmed since %(month)s") % {
                "month": date_format(timezone.localtime(confirmed), "F Y")
            }
        else:
            label = _("Not confirmed since %(year)s") % {"year": confirmed.year}
    elif level == FRESH:
        label = _("Listed %(ago)s ago, not confirmed yet") % {"ago": timesince(basis, now, depth=1)}
    else:
        label = _("Never confirmed since it was listed in %(year)s") % {"year": basis.year}
    warning = {FRESH: "", FADING: _("May be out of date"), STALE: _("Probably out of date")}[level]
    return Freshness(level=level, label=label, warning=warning)


# --- check-in links -------------------------------------------------------------------------


def checkin_token(org: Organization, user: Any) -> str:
    """A signed, dated token naming one listing and one of its admins (who is checked again
    when the token is used, so a removed admin's old mail no longer works)."""
    return signing.TimestampSigner(salt=CHECKIN_SALT).sign_object({"o": org.pk, "u": user.pk})


def checkin_token_read(token: str) -> tuple[int, int]:
    """(organization id, user id) of a token; ValidationError if forged or expired."""
    try:
        data = signing.TimestampSigner(salt=CHECKIN_SALT).unsign_object(
            token, max_age=link_max_age()
        )
    except signing.SignatureExpired:
        raise ValidationError(
            _("This check-in link has expired. Sign in and edit the listing to confirm it."),
            code="expired",
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This check-in link is not valid."), code="invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int):
        raise ValidationError(_("This check-in link is not valid."), code="invalid")
    return int(data["o"]), int(data.get("u") or 0)


# --- a region at a glance -------------------------------------------------------------------

BUCKETS = (
    ("recent", gettext_lazy("Under 6 months")),
    ("half", gettext_lazy("6–12 months")),
    ("year", gettext_lazy("1–2 years")),
    ("older", gettext_lazy("Over 2 years")),
    ("never", gettext_lazy("Never confirmed")),
)


@dataclass
class RegionRow:
    place: Place | None  # None: groups based at the region itself, not inside a sub-place
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _bucket_counts(now: datetime) -> dict[str, Count]:
    """One count per bucket, each a test on last_confirmed_at, which the index holds."""
    ago = {days: now - timedelta(days=days) for days in (182, 365, 730)}
    return {
        "recent": Count("pk", filter=Q(last_confirmed_at__gte=ago[182])),
        "half": Count(
            "pk", filter=Q(last_confirmed_at__lt=ago[182], last_confirmed_at__gte=ago[365])
        ),
        "year": Count(
            "pk", filter=Q(last_confirmed_at__lt=ago[365], last_confirmed_at__gte=ago[730])
        ),
        "older": Count("pk", filter=Q(last_confirmed_at__lt=ago[730])),
        "never": Count("pk", filter=Q(last_confirmed_at__isnull=True)),
    }


def _by_position(scope: Q, now: datetime) -> Iterator[tuple[int, dict[str, int]]]:
    """(place_lft, counts per bucket) of listed groups in `scope`, in lft order.

    Grouped by place_lft in the order of org_listed_place_confirmed, so the database streams
    its groups from the index alone, with no sorting; each sub-place is then a run of them."""
    keys = [key for key, _ in BUCKETS]
    grouped = (
        Organization.objects.filter(LISTED)
        .filter(scope)
        .values("place_lft")
        .annotate(**_bucket_counts(now))
        .order_by("place_lft")
        .values_list("place_lft", *keys)
    )
    for lft, *counts in grouped:
        yield int(lft or 0), dict(zip(keys, counts, strict=True))


def sub_places(place: Place) -> list[Place]:
    if place.is_overlay:
        return sorted(place.members.all(), key=lambda p: p.lft)
    return list(Place.objects.filter(parent=place).order_by("lft"))


def _add(row: RegionRow, counts: dict[str, int]) -> None:
    for key, n in counts.items():
        if n:
            row.counts[key] = row.counts.get(key, 0) + n


# Charts of recently viewed places, per process: place id → (directory version, when, rows).
# A region's freshness moves by the day; the world's chart reads every listing, so it is kept
# until listings change, and at most CHART_MAX_AGE seconds while they keep changing.
_charts: "OrderedDict[int, tuple[int, float, list[RegionRow]]]" = OrderedDict()
CHARTS = 500
CHART_MAX_AGE = 120.0


def region_freshness(place: Place, now: datetime | None = None) -> list[RegionRow]:
    """Listed groups of a place (or region) by how long since they were confirmed, per
    sub-place (a region's sub-places are its member places), busiest first; groups based at
    the place itself, in none of its sub-places, come first as a row of their own."""
    from directory.selectors import directory_version  # selectors import this module

    version = directory_version()
    remembered = _charts.get(place.pk)
    clock = time.monotonic()
    if now is None and remembered is not None:
        seen_version, made, rows = remembered
        if seen_version == version or clock - made < CHART_MAX_AGE:
            return rows
    rows = _region_freshness(place, now or timezone.now())
    if now is None:
        _charts[place.pk] = (version, clock, rows)
        _charts.move_to_end(place.pk)
        while len(_charts) > CHARTS:
            _charts.popitem(last=False)
    return rows


def _region_freshness(place: Place, now: datetime) -> list[RegionRow]:
    subs = sub_places(place)
    rows = [RegionRow(place=p, label=p.name) for p in subs]
    here = RegionRow(place=None, label=_("%(place)s itself") % {"place": place.name})
    if place.is_overlay:
        # A region has no position of its own: each member's range is read on its own (an
        # OR of ranges would make SQLite scan every listing).
        for row, member in zip(rows, subs, strict=True):
            for _lft, counts in _by_position(member.contains_q(), now):
                _add(row, counts)
    else:
        # Sub-places' ranges are disjoint and come in lft order, as the groups do: one walk.
        i = 0
        for lft, counts in _by_position(place.contains_q(), now):
            while i < len(subs) and subs[i].rgt < lft:
                i += 1
            inside = i < len(subs) and subs[i].lft <= lft
            _add(rows[i] if inside else here, counts)
    result = [r for r in rows if r.total]
    result.sort(key=lambda r: (-r.total, r.label))
    if here.total:
        result.insert(0, here)
    return result


def region_total(rows: list[RegionRow]) -> RegionRow:
    total = RegionRow(place=None, label=_("All"))
    for row in rows:
        for key, n in row.counts.items():
            total.counts[key] = total.counts.get(key, 0) + n
    return total
