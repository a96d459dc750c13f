"""Directory pages: search, adding a group, the map and its clusters, and the listing editor's
old address."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from commonweal.forms import errors_into
from commonweal.paging import Page, Seek, capped_count, seek_page
from directory import mapindex, servedmap, services
from directory.forms import ClustersQueryForm, DirectorySearchForm, OrganizationEditForm
from directory.selectors import (
    issue_area_resolve,
    issue_areas_list,
    organization_search,
)
from directory.serving import organization_search_serving
from places.models import Place
from places.resolver import place_label
from places.selectors import get_place_for_user

PER_PAGE = 20
# Beyond this many matches a count would cost more than it tells; the page says "1,000+".
COUNT_CAP = 1000
# Field names the selectors use, mapped to the form fields people see.
SELECTOR_FIELDS = {
    "radius_km": "radius",
    "issue": "issue",
    "kind": "kind",
    "status": "status",
    "near": "near",
}


def place_ranges(place: Place) -> tuple[tuple[int, int], ...]:
    """The tree ranges a place covers: its own, or its members' for an overlay region."""
    if place.is_overlay:
        return tuple(sorted((m.lft, m.rgt) for m in place.members.all()))
    return ((place.lft, place.rgt),)


def listing_total(user: Any, rows: Any, filters: mapindex.Filters | None) -> tuple[int, bool]:
    """How many results, as cheaply as it can be known exactly.

    The map index counts public listings by place, issue, kind and status without touching the
    database. Signed-in people may also see hidden listings they look after, and text or
    distance filters are not in the index; those get a count capped at COUNT_CAP.
    """
    if filters is not None and not getattr(user, "is_authenticated", False):
        return mapindex.get_index().count_matching(filters), False
    return capped_count(rows, COUNT_CAP)


def listing_page(
    user: Any, rows: Any, number: int, filters: mapindex.Filters | None, seek: Seek | None = None
) -> Page:
    total, floor = listing_total(user, rows, filters)
    order = getattr(rows, "order", "name")
    return seek_page(rows, number, PER_PAGE, seek=seek, order=order, total=total, floor=floor)


def _search(request: HttpRequest, form: DirectorySearchForm) -> tuple[Page | None, dict[str, Any]]:
    """Run a valid search; selector errors are put back on the form."""
    data = form.cleaned_data
    try:
        rows = organization_search(
            user=request.user,
            q=data["q"],
            place=data["place"],
            issue=data["issue"] or None,
            kind=data["kind"],
            status=data["status"],
            near=data["near"],
            radius_km=data["radius"],
        ).select_related("home_place")
        filters = None
        if not data["q"] and data["near"] is None:
            issue = issue_area_resolve(data["issue"] or None)
            filters = mapindex.Filters(
                issue_bit=issue.bit if issue else None,
                kind=data["kind"],
                status=data["status"],
                ranges=place_ranges(data["place"]) if data["place"] else None,
            )
        page = listing_page(request.user, rows, data["page"] or 1, filters, form.seek())
        serving: list[Any] = []
        serving_total = 0
        # Groups based elsewhere that serve the place, shown apart on the first page only.
        if data["place"] is not None and data["near"] is None and page.number == 1:
            serving, serving_total = organization_search_serving(
                user=request.user,
                place=data["place"],
                q=data["q"],
                issue=data["issue"] or None,
                kind=data["kind"],
                status=data["status"],
            )
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            form.add_error(SELECTOR_FIELDS.get(name), problems)
        return None, {}
    near = data["near"]
    # "near Portland, Maine, United States": which Portland, once a person has chosen one.
    return page, {
        "place": data["place"],
        "near": near,
        "near_label": place_label(near) if near is not None else "",
        "serving": serving,
        "serving_total": serving_total,
    }


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    return params.urlencode()


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _place_choice_links(request: HttpRequest, form: DirectorySearchForm) -> list[dict[str, Any]]:
    """For each place field the form was unsure of, links that repeat the search with one of
    the places it may mean (the results are what HTMX swaps, so the choices live there)."""
    out = []
    for name in form.place_fields:
        choices = getattr(form.fields[name], "place_choices", [])
        if not choices:
            continue
        links = []
        for choice in choices:
            query = request.GET.copy()
            for where in ("page", "after", "before"):
                query.pop(where, None)
            query[f"{name}_pick"] = str(choice.pk)
            links.append({"label": choice.label, "url": f"?{query.urlencode()}"})
        out.append(
            {"field": form.fields[name].label, "errors": form.errors.get(name, []), "links": links}
        )
    return out


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    # Always bound: an empty search lists everything, by name.
    form = DirectorySearchForm(request.GET, user=request.user, issue_areas=issue_areas_list())
    page: Page | None = None
    resolved: dict[str, Any] = {}
    if form.is_valid():
        page, resolved = _search(request, form)
    context = {
        "form": form,
        "place_choices": _place_choice_links(request, form),
        "page": page,
        "resolved": resolved,
        "query": _query_without_page(request),
        # Page links swap only the results, like the filters do.
        "pagination_target": "#results",
    }
    status = 400 if form.errors else 200
    template = "directory/_results.html" if request.htmx else "directory/search.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@login_required
def organization_add(request: HttpRequest) -> HttpResponse:
    """Anyone signed in lists a group and becomes its first admin."""
    form = OrganizationEditForm(
        request.POST or None,
        user=request.user,
        issue_areas=issue_areas_list(),
        initial={"kind": "local_group", "status": "active"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                org = services.organization_create(user=request.user, **form.listing_fields())
                contact = {k: v for k, v in form.contact_fields().items() if v}
                if contact:
                    services.private_contact_update(user=request.user, organization=org, **contact)
        except ValidationError as error:
            errors_into(form, error, {"notes": "contact_notes"})
        else:
            messages.success(
                request, _("%(name)s is listed, and you are its admin.") % {"name": org.name}
            )
            return redirect("organization", slug=org.slug)
    status = 400 if form.errors else 200
    return render(request, "directory/organization_add.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The listing editor's old address. Edits are now saved as the group's own word by the
    outreach editor, so imports cannot overwrite them; a permanent redirect that keeps the
    method (308) carries bookmarks and forms still open in someone's browser there. Sign-in
    and permissions are checked where the editing happens."""
    return redirect("outreach:listing_edit", slug=slug, permanent=True, preserve_request=True)


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    issue_areas = issue_areas_list()
    form = DirectorySearchForm(request.GET or {}, user=request.user, issue_areas=issue_areas)
    form.is_valid()  # only to show choices and keep what was picked; the map reads the URL itself
    return render(request, "directory/map.html", {"form": form})


def _bad_request(errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=400)


@require_GET
def map_clusters(request: HttpRequest) -> JsonResponse:
    form = ClustersQueryForm(request.GET)
    if not form.is_valid():
        return _bad_request({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    data = form.cleaned_data
    try:
        issue = issue_area_resolve(data["issue"] or None)
    except ValidationError as error:
        return _bad_request(error.message_dict)
    ranges = None
    if data["place"]:
        try:
            ranges = place_ranges(get_place_for_user(request.user, data["place"]))
        except Http404:
            return _bad_request({"place": [f"No place called “{data['place']}”."]})
    filters = mapindex.Filters(
        issue_bit=issue.bit if issue else None,
        kind=data["kind"],
        status=data["status"],
        ranges=ranges,
    )
    try:
        result = mapindex.get_index().clusters(
            bbox=data["bbox"], zoom=data["zoom"], filters=filters
        )
    except mapindex.ViewportTooLarge as error:
        return _bad_request({"bbox": [str(error)]})
    if data["served"]:
        # Kept in its own small index (see directory/servedmap.py), asked only when wanted.
        result["served"] = servedmap.served_markers(
            bbox=data["bbox"], zoom=data["zoom"], filters=filters
        )
    response = JsonResponse(result)
    # Listings change rarely and the index itself is a few seconds behind at most.
    patch_cache_control(response, public=True, max_age=10)
    return response
