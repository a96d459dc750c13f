"""How fresh a listing is: when its group last said it is still active, and what follows.

A listing counts from its last confirmation (the group's "still active" answer, or an edit by
its admins), or from when it was listed if never confirmed. Past FRESHNESS_INTERVAL_DAYS it
fades and its admins are asked again; past twice that it fades further. Nothing here writes:
the services confirm, the check-in chore (outreach/checkins.py) asks.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, IntegerField, Q, Value, When
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


def stale_listings(now: datetime) -> OrganizationQuerySet:
    """Listed groups unconfirmed for longer than the interval, oldest first."""
    return (
        Organization.objects.filter(LISTED)
        .alias(basis=confirmed_basis())
        .filter(basis__lte=now - interval())
        .order_by("basis", "id")
    )


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


# Up to this many sub-places, the database sorts rows into them (one CASE arm each).
CASE_ARMS_MAX = 300


@dataclass
class RegionRow:
    place: Place | None  # None: groups based at the region itself, not inside a sub-place
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _bucket(now: datetime) -> Case:
    return Case(
        When(last_confirmed_at__isnull=True, then=Value("never")),
        When(last_confirmed_at__gte=now - timedelta(days=182), then=Value("recent")),
        When(last_confirmed_at__gte=now - timedelta(days=365), then=Value("half")),
        When(last_confirmed_at__gte=now - timedelta(days=730), then=Value("year")),
        default=Value("older"),
        output_field=CharField(),
    )


def sub_places(place: Place) -> list[Place]:
    if place.is_overlay:
        return sorted(place.members.all(), key=lambda p: p.lft)
    return list(Place.objects.filter(parent=place).order_by("lft"))


def region_freshness(place: Place, now: datetime | None = None) -> list[RegionRow]:
    """Listed groups of a place (or region) by how long since they were confirmed, per
    sub-place. One grouped query over the (place_lft, last_confirmed_at) index: rows are
    grouped by position in the tree, and positions are put into sub-places here."""
    now = now or timezone.now()
    subs = sub_places(place)
    scope = place.contains_q()
    # Sub-places' ranges are disjoint and sorted, so a lft falls in at most one: the one
    # starting last at or before it, if it ends after it.
    starts = [p.lft for p in subs]
    rows = {p.pk: RegionRow(place=p, label=p.name) for p in subs}
    here = RegionRow(place=None, label=_("%(place)s itself") % {"place": place.name})
    # Grouped by sub-place in the database when there are few (one CASE arm each); beyond,
    # by lft and placed here, so the query never grows with the number of sub-places.
    if len(subs) <= CASE_ARMS_MAX:
        sub = Case(
            *[When(place_lft__gte=p.lft, place_lft__lte=p.rgt, then=Value(p.pk)) for p in subs],
            default=Value(0),
            output_field=IntegerField(),
        )
        by_sub = (
            Organization.objects.filter(LISTED)
            .filter(scope)
            .annotate(sub=sub, bucket=_bucket(now))
            .values("sub", "bucket")
            .annotate(n=Count("*"))
            .order_by()
        )
        for sub_item in by_sub:
            row = rows.get(sub_item["sub"], here)
            row.counts[sub_item["bucket"]] = row.counts.get(sub_item["bucket"], 0) + sub_item["n"]
    else:
        by_lft = (
            Organization.objects.filter(LISTED)
            .filter(scope)
            .annotate(bucket=_bucket(now))
            .values("place_lft", "bucket")
            .annotate(n=Count("*"))
            .order_by()
        )
        for item in by_lft:
            lft = item["place_lft"] or 0
            i = bisect_right(starts, lft) - 1
            target = here
            if i >= 0 and lft <= subs[i].rgt:
                target = rows[subs[i].pk]
            target.counts[item["bucket"]] = target.counts.get(item["bucket"], 0) + item["n"]
    result = [r for r in rows.values() if r.total]
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
