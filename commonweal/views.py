"""Pages that bring the whole hub together: home, an organization, a place.

They sit here, above the apps, because each gathers places, listings and coalitions at once,
and the apps themselves only import downwards (places ← directory ← coalitions).
"""

import time
from collections import OrderedDict
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from coalitions.selectors import coalition_members, coalitions_at_place, organization_coalitions
from commonweal.paging import MAX_OFFSET_PAGE, Seek, page_of
from commonweal.templatetags.links import slug_url
from directory import mapindex
from directory.forms import DirectorySearchForm
from directory.languages import language_name
from directory.models import IssueArea, Organization
from directory.permissions import can_edit_organization
from directory.selectors import (
    directory_counts,
    directory_version,
    get_organization_for_user,
    issue_areas_list,
    organization_private_contact_for_user,
    organization_search,
    organizations_serving,
)
from directory.serving import serving_counts
from directory.views import PER_PAGE, listing_page, place_ranges
from places.models import Place, PlaceKind
from places.selectors import (
    get_place_for_user,
    place_ancestors,
    place_children_for_user,
    place_overlays_containing,
)

# How far to zoom a place's map, by kind of place.
MAP_ZOOM = {
    PlaceKind.WORLD: 2,
    PlaceKind.COUNTRY: 4,
    PlaceKind.STATE: 6,
    PlaceKind.COUNTY: 9,
    PlaceKind.LOCALITY: 11,
    PlaceKind.BIOREGION: 5,
    PlaceKind.MACROREGION: 4,
}
MAX_COALITIONS = 100
# A chapter may serve hundreds of towns: the page names the first ones and counts the rest.
SERVICE_AREAS_SHOWN = 60
SERVING_SHOWN = 20
# Enough circles to show the shape of a chapter's area without slowing the page.
SERVED_POINTS = 500
TOP_ISSUES = 3


def _page_number(request: HttpRequest, *, limit: int = MAX_OFFSET_PAGE) -> int:
    # A page number outside the range just shows the first page.
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 10 and 0 < int(value) <= limit else 1


def _seek(request: HttpRequest) -> Seek | None:
    """Where a page of listings starts, from its link (see commonweal/paging.py)."""
    for name, backwards in (("after", False), ("before", True)):
        value = request.GET.get(name, "")
        if value.isdigit() and len(value) < 19 and int(value) > 0:
            return Seek(pk=int(value), backwards=backwards)
    return None


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers and feed readers ask for /favicon.ico whatever a page's <link> says.
    return redirect(static("img/favicon.ico"), permanent=True)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    counts = directory_counts()
    issue_areas = issue_areas_list()
    form = DirectorySearchForm(user=request.user, issue_areas=issue_areas)
    context = {
        "counts": counts,
        "issue_count": len(issue_areas),
        "issue_areas": issue_areas,
        "form": form,
    }
    return render(request, "home.html", context)


def _web_links(org: Organization) -> list[tuple[str, str]]:
    """Website and social pages that are plain web addresses; imported data may hold anything."""
    candidates = (
        [("Website", org.website)]
        + [(str(name).capitalize(), url) for name, url in (org.social_links or {}).items()]
        # Links kept from imported lists, each under the column that said what it is for.
        + [
            (str(link.get("label") or "Link"), link.get("url"))
            for link in (org.links or [])
            if isinstance(link, dict)
        ]
    )
    return [
        (name, url)
        for name, url in candidates
        if isinstance(url, str) and url.lower().startswith(("https://", "http://"))
    ]


@require_GET
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug)
    members = None
    if org.is_coalition:
        members = page_of(
            coalition_members(org).select_related("home_place"), _page_number(request), PER_PAGE
        )
    context = {
        "org": org,
        "issue_areas": list(org.issue_areas.all()),
        "links": _web_links(org),
        "language_names": [language_name(str(code)) for code in org.languages or []],
        "service_areas": list(org.service_areas.order_by("name")[:SERVICE_AREAS_SHOWN]),
        "service_area_count": (served := org.service_areas.count()),
        "service_area_more": max(0, served - SERVICE_AREAS_SHOWN),
        "served_points": [
            [lat, lng, name]
            for lat, lng, name in org.service_areas.exclude(latitude=None).values_list(
                "latitude", "longitude", "name"
            )[:SERVED_POINTS]
        ],
        "ancestors": place_ancestors(org.home_place) if org.home_place else [],
        "coalitions": list(
            organization_coalitions(org).select_related("home_place")[:MAX_COALITIONS]
        ),
        "members": members,
        # None unless this person may see it: admins and coordinators of the group's region.
        "private_contact": organization_private_contact_for_user(request.user, org),
        "can_edit": can_edit_organization(request.user, org),
    }
    return render(request, "directory/organization.html", context)


def _issue_rows(by_bit: dict[int, int], areas: dict[int, IssueArea]) -> list[tuple[IssueArea, int]]:
    rows = [(areas[bit], n) for bit, n in by_bit.items() if bit in areas]
    rows.sort(key=lambda row: (-row[1], row[0].name))
    return rows


# Per-process summaries of recently viewed places: place id → (directory version, when made,
# summary). Counts follow the directory version; names of places and regions, which change
# rarely, may lag by SUMMARY_MAX_AGE seconds.
_summaries: "OrderedDict[int, tuple[int, float, dict[str, Any]]]" = OrderedDict()
SUMMARIES = 2000
SUMMARY_MAX_AGE = 60.0


def _place_summary(user: Any, place: Place) -> dict[str, Any]:
    """Everything on a place page but its page of listings; the same for every visitor."""
    version = directory_version()
    now = time.monotonic()
    cached = _summaries.get(place.pk)
    if cached is not None and cached[0] == version and now - cached[1] < SUMMARY_MAX_AGE:
        _summaries.move_to_end(place.pk)
        return cached[2]
    summary = _place_summary_build(user, place)
    # What is read inside a transaction may yet be rolled back.
    if not connection.in_atomic_block:
        _summaries[place.pk] = (version, now, summary)
        while len(_summaries) > SUMMARIES:
            _summaries.popitem(last=False)
    return summary


def _place_summary_build(user: Any, place: Place) -> dict[str, Any]:
    areas = {area.bit: area for area in issue_areas_list()}
    index = mapindex.get_index()
    own = index.count_in(place_ranges(place))
    serving_here = organizations_serving(place).select_related("home_place")

    children: list[Place] = list(place_children_for_user(user, place))
    child_counts = index.counts_for([(child.pk, place_ranges(child)) for child in children])
    # Addresses are assembled here rather than reversed per row: a country has hundreds of
    # sub-places and reversing each link costs more than counting them.
    search_url = reverse("directory:search")
    sub_places: list[dict[str, Any]] = []
    for child in children:
        count = child_counts[child.pk]
        sub_places.append(
            {
                "place": child,
                "url": slug_url("place", child.slug),
                "total": count.total,
                "total_text": f"{count.total:,}",
                "issues": [
                    (area, f"{n:,}", f"{search_url}?place={child.slug}&issue={area.slug}")
                    for area, n in _issue_rows(count.by_issue_bit, areas)[:TOP_ISSUES]
                ],
            }
        )
    serving_by_child = serving_counts(place, children)
    for row in sub_places:
        row["serving"] = serving_by_child.get(row["place"].pk, 0)
        row["serving_text"] = f"{row['serving']:,}"
    sub_places.sort(key=lambda row: (-row["total"], -row["serving"], row["place"].name))
    return {
        "ancestors": place_ancestors(place),
        "overlays": list(place_overlays_containing(place)),
        "members": children if place.is_overlay else [],
        "total": own.total,
        "issues": _issue_rows(own.by_issue_bit, areas),
        "with_groups": [row for row in sub_places if row["total"] or row["serving"]],
        "without_groups": [row for row in sub_places if not row["total"] and not row["serving"]],
        "coalitions": list(coalitions_at_place(place)[:MAX_COALITIONS]),
        "serving": list(serving_here[:SERVING_SHOWN]),
        "serving_total": serving_here.count(),
        "map_zoom": MAP_ZOOM.get(PlaceKind(place.kind), 5),
    }


@require_GET
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_place_for_user(request.user, slug)
    filters = mapindex.Filters(ranges=place_ranges(place))
    seek = _seek(request)
    orgs = listing_page(
        request.user,
        organization_search(user=request.user, place=place).select_related("home_place"),
        # With a key the number is only a label, so it has no limit.
        _page_number(request, limit=10**9 if seek else MAX_OFFSET_PAGE),
        filters,
        seek,
    )
    context = {**_place_summary(request.user, place), "place": place, "page": orgs}
    return render(request, "places/place.html", context)
