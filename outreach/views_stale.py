"""Stale listings for coordinators: the freshness of their region at a glance, and the groups
unconfirmed past the check-in interval, oldest first, each a button away from the outreach
board. Nothing here contacts a group; a coordinator decides whom to reach."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from directory import freshness
from directory import permissions as directory_permissions
from directory.models import Organization, OrganizationAdmin
from outreach import freshchart, permissions
from outreach.forms import StaleFilterForm
from outreach.models import OutreachEntry
from places.models import Place, PlaceKind

PER_PAGE = 25
# Sub-places drawn in the chart; the rest are summed up in words under it.
CHART_ROWS = 15


def regions_for(user: Any) -> list[Place]:
    """The places this person coordinates; for a site coordinator without one, the world."""
    places = permissions.coordinated_places(user)
    if not places and directory_permissions.is_site_coordinator(user):
        world = Place.objects.filter(kind=PlaceKind.WORLD).order_by("lft").first()
        places = [world] if world is not None else []
    return places


@require_GET
@login_required
def stale(request: HttpRequest) -> HttpResponse:
    regions = regions_for(request.user)
    if not regions and not directory_permissions.is_site_coordinator(request.user):
        raise PermissionDenied(_("Outreach is for the coordinators of a place."))
    form = StaleFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        context: dict[str, Any] = {"form": form, "regions": regions}
        return render(request, "outreach/stale.html", context, status=400)
    place = form.cleaned_data.get("place") if form.is_bound else None
    place = place or (regions[0] if regions else None)
    if place is None:
        return render(request, "outreach/stale.html", {"form": form, "regions": regions})
    # One of the person's own places needs no second look; any other must lie inside one.
    if place not in regions and not permissions.can_work_place(request.user, place):
        raise PermissionDenied(
            _("You coordinate no place that contains %(place)s.") % {"place": place.name}
        )
    now = timezone.now()
    rows = freshness.region_freshness(place)
    total = freshness.region_total(rows)
    page_number = (form.cleaned_data.get("page") or 1) if form.is_bound else 1
    start = (page_number - 1) * PER_PAGE
    # Already on the board of a team this person works with (their place or one inside it).
    entries = OutreachEntry.objects.filter(organization=OuterRef("pk"))
    team_q = permissions.entry_places_q(request.user)
    if team_q is not None:
        entries = entries.filter(team_q)
    # The page's ids first, from the index alone; then just those rows, with what the page
    # says about each, so the sort never carries joined columns or subqueries.
    ids = list(
        freshness.stale_listings(now, place, listed=total.total).values_list("id", flat=True)[
            start : start + PER_PAGE + 1
        ]
    )
    by_id = {
        org.pk: org
        for org in Organization.objects.filter(pk__in=ids)
        .select_related("home_place")
        .annotate(
            has_admins=Exists(OrganizationAdmin.objects.filter(organization=OuterRef("pk"))),
            in_outreach=Exists(entries),
        )
    }
    listings = [by_id[pk] for pk in ids if pk in by_id]
    has_next = len(listings) > PER_PAGE
    listings = listings[:PER_PAGE]
    chart_rows = [total, *rows[:CHART_ROWS]]
    title = _("Freshness of listings in %(place)s") % {"place": place.name}
    context = {
        "form": form,
        "regions": regions,
        "place": place,
        "rows": rows,
        "total": total,
        "buckets": freshness.BUCKETS,
        "chart": freshchart.freshness_svg(chart_rows, title=title),
        "legend": freshchart.legend(),
        "hidden_rows": max(0, len(rows) - CHART_ROWS),
        "listings": [(org, freshness.freshness_of(org, now)) for org in listings],
        "page_number": page_number,
        "has_next": has_next,
        "interval_days": freshness.interval().days,
    }
    return render(request, "outreach/stale.html", context)
