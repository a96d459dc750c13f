"""The bird's-eye view of a place: a heat map of sub-places × issues, the gaps on a map, and
the groups that alone hold coalitions together. Public: it shows counts of public listings."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from directory.selectors import issue_areas_list
from overview.boundaries import boundary_url
from overview.forms import OverviewForm
from overview.matrix import matrix_rows, total_row
from overview.selectors import overview_for_place
from places.selectors import get_place_for_user, place_ancestors


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The world's bird's-eye view (the top of the tree)."""
    from places.models import Place

    root = Place.objects.tree().filter(parent__isnull=True).order_by("lft").first()
    if root is None:
        return render(request, "overview/empty.html")
    return redirect("overview:place", slug=root.slug)


@require_GET
def place_overview(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_place_for_user(request.user, slug)
    issues = issue_areas_list()
    form = OverviewForm(request.GET or None, issues=issues)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sort = data.get("sort") or "name"
    descending = (data.get("order") or ("asc" if sort == "name" else "desc")) == "desc"
    overview = overview_for_place(
        place, data.get("issue") or None, sort=sort, descending=descending
    )
    search_url = reverse("directory:search")
    overview_url = reverse("overview:place", args=["SLUG"])
    context = {
        "place": place,
        "ancestors": place_ancestors(place) if not place.is_overlay else [],
        "overview": overview,
        "form": form,
        "matrix": matrix_rows(overview.rows, overview.issues, search_url, overview_url),
        "totals": total_row(overview.total, overview.issues, search_url, place.name),
        "points": overview.map_points(),
        "boundaries": boundary_url(place, [row.source_ref for row in overview.rows]),
        "overview_base": reverse("overview:index"),
        "sort": sort,
        "descending": descending,
        "issue_slug": overview.issue.slug if overview.issue else "",
    }
    return render(request, "overview/place.html", context)
