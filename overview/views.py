"""The bird's-eye view of a place: a heat map of sub-places × issues, the gaps on a map, and
the groups that alone hold coalitions together. Public: it shows counts of public listings."""

from collections import OrderedDict
from threading import Lock
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from directory.selectors import issue_areas_list
from overview.forms import OverviewForm
from overview.pages import is_default_view, page_parts, stored_parts
from overview.selectors import last_build
from places.models import Place, PlaceKind
from places.selectors import get_place_for_user, place_ancestors, place_overlays_containing

# The figures change only when the rebuild job runs, so each web process keeps the last pages'
# parts (the world's matrix alone is some 6,500 cells) until a newer build appears. A few
# dozen entries of a few hundred KB to 2 MB each.
PARTS_KEPT = 32
_parts: "OrderedDict[tuple[Any, ...], dict[str, Any]]" = OrderedDict()
_parts_lock = Lock()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The world's bird's-eye view (the top of the tree)."""
    root = Place.objects.tree().filter(parent__isnull=True).order_by("lft").first()
    if root is None:
        return render(request, "overview/empty.html")
    return redirect("overview:place", slug=root.slug)


def _cached_parts(
    place: Place, issue: str | None, sort: str, descending: bool, every: bool
) -> dict[str, Any]:
    build = last_build()
    if build is None:
        return page_parts(place, issue, sort, descending, every)
    language = get_language()
    key = (build.pk, build.finished_at, place.pk, issue, sort, descending, every, language)
    with _parts_lock:
        found = _parts.get(key)
        if found is not None:
            _parts.move_to_end(key)
            return found
    # The rebuild worked out the wide pages' default view ahead (overview/pages.py).
    parts = None
    if is_default_view(issue, sort, descending, every):
        parts = stored_parts(build, place, language)
    if parts is None:
        parts = page_parts(place, issue, sort, descending, every)
    with _parts_lock:
        _parts[key] = parts
        while len(_parts) > PARTS_KEPT:
            _parts.popitem(last=False)
    return parts


def _regions(place: Place) -> list[Place]:
    """Regions to look at next: every one from the world's page, else those holding the place."""
    if place.is_overlay:
        return []
    if place.kind == PlaceKind.WORLD:
        return list(Place.objects.overlays().order_by("name"))
    return list(place_overlays_containing(place))


@require_GET
def place_overview(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_place_for_user(request.user, slug)
    issues = issue_areas_list()
    form = OverviewForm(request.GET or None, issues=issues)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sort = data.get("sort") or "name"
    descending = (data.get("order") or ("asc" if sort == "name" else "desc")) == "desc"
    every = data.get("rows") == "all"
    parts = _cached_parts(place, data.get("issue") or None, sort, descending, every)
    overview = parts["overview"]
    context = {
        **parts,
        "place": place,
        "ancestors": place_ancestors(place) if not place.is_overlay else [],
        "regions": _regions(place),
        "issues_by_name": issues,
        "overview_base": reverse("overview:index"),
        "sort": sort,
        "descending": descending,
        "issue_slug": overview.issue.slug if overview.issue else "",
        "every": every,
    }
    return render(request, "overview/place.html", context)
