"""Coalitions: the list of coalitions, optionally within a place."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from directory import mapindex
from directory.forms import DirectorySearchForm
from directory.models import OrganizationKind
from directory.selectors import issue_areas_list, organization_search
from directory.views import listing_page, place_ranges


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET, user=request.user, issue_areas=issue_areas_list())
    page = None
    place = None
    if form.is_valid():
        place = form.cleaned_data["place"]
        rows = organization_search(user=request.user, place=place, kind=OrganizationKind.COALITION)
        filters = mapindex.Filters(
            kind=OrganizationKind.COALITION, ranges=place_ranges(place) if place else None
        )
        page = listing_page(
            request.user,
            rows.select_related("home_place"),
            form.cleaned_data["page"] or 1,
            filters,
            form.seek(),
        )
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    context = {"form": form, "page": page, "place": place, "query": params.urlencode()}
    return render(request, "coalitions/index.html", context, status=400 if form.errors else 200)
