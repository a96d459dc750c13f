"""Coalition pages: the list, starting one, a coalition's own page, joining and inviting."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from coalitions import cluster_selectors, drawing, selectors, services
from coalitions.forms import CoalitionStartForm, InviteForm, JoinForm
from coalitions.models import MembershipStatus
from coalitions.remembered import remembered
from commonweal.forms import errors_into
from directory import mapindex, permissions
from directory.forms import DirectorySearchForm
from directory.models import Organization, OrganizationKind
from directory.selectors import issue_areas_list, organization_search
from directory.views import listing_page, place_ranges

MEMBERS_PER_PAGE = 50
RELATED_SHOWN = 10


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


def own_groups(user: Any) -> QuerySet[Organization]:
    return Organization.objects.filter(
        pk__in=permissions.administered_organization_ids(user)
    ).order_by("name", "id")


@require_http_methods(["GET", "POST"])
@login_required
def start(request: HttpRequest) -> HttpResponse:
    form = CoalitionStartForm(
        request.POST or None,
        user=request.user,
        own=own_groups(request.user),
        issue_areas=issue_areas_list(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            coalition = services.coalition_start(
                user=request.user,
                name=data["name"],
                level=data["level"],
                span=data["place"],
                issue_areas=data["issue_areas"],
                description=data["description"],
                founding_members=data["founding_members"],
                invitees=data["invite"],
                message=data["message"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("%(name)s is started.") % {"name": coalition.name})
            return redirect("coalitions:detail", coalition.slug)
    status = 400 if form.errors else 200
    return render(request, "coalitions/start.html", {"form": form}, status=status)


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) <= 200 else 1


def _graph(coalition: Organization) -> tuple[selectors.CoalitionGraph, drawing.Drawing]:
    graph = selectors.coalition_tree(coalition)
    picture = drawing.layered(
        {pk: org.name for pk, org in graph.nodes.items()},
        graph.levels,
        graph.edges,
        coalition.pk,
        {pk: reverse("coalitions:detail", args=[org.slug]) for pk, org in graph.nodes.items()},
    )
    return graph, picture


def _aggregates(coalition: Organization, span: Any) -> tuple[Any, ...]:
    """The page's sums over all members and its graph, remembered until they change."""
    summary, coverage = selectors.coalition_sums(coalition, span)
    graph, picture = remembered(
        coalition,
        "graph",
        lambda: _graph(coalition),
        watch=lambda found: (found[0].nodes.values(), found[0].edges),
    )
    return summary, coverage, selectors.coalition_issue_mix(summary), graph, picture


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    coalition = selectors.get_coalition_for_user(request.user, slug)
    profile = selectors.coalition_profile(coalition)
    span = selectors.coalition_span(coalition)
    # The members are summed up in one grouped query shared by the count, the coverage and
    # the issue mix; the list reads only the page it shows. Both are remembered until the
    # coalition, a member or a coalition in its graph changes (see coalitions/remembered.py).
    summary, coverage, issue_mix, graph, picture = _aggregates(coalition, span)
    members = selectors.members_page(coalition, _page_number(request), MEMBERS_PER_PAGE)
    user = request.user
    is_admin = permissions.is_organization_admin(user, coalition)
    context = {
        "coalition": coalition,
        "profile": profile,
        "span": span,
        "members": members,
        "show_service_areas": selectors.has_service_areas(),
        "above": [graph.nodes[pk] for pk, lvl in graph.levels.items() if lvl == -1],
        "below": [graph.nodes[pk] for pk, lvl in graph.levels.items() if lvl == 1],
        "picture": picture,
        "coverage": coverage,
        "issue_mix": issue_mix,
        # Cluster sizes come from the same grouped summary, not one count per cluster.
        "clusters": cluster_selectors.cluster_overview(coalition, summary),
        # A reverse relation: calls point at the coalition that issued them, and whoever sees
        # the coalition sees its calls. (Conversations come from their own app's template tag,
        # which applies its rules on private ones.)
        "calls": list(coalition.calls_issued.order_by("-created_at")[:RELATED_SHOWN]),  # type: ignore[attr-defined]
        "is_admin": is_admin,
        "joinable": selectors.joinable_groups(user, coalition),
        "pending": list(selectors.coalition_pending(user, coalition)[:100]),
        "signed_in": user.is_authenticated,
    }
    return render(request, "coalitions/detail.html", context)


@require_GET
def members_map(request: HttpRequest, slug: str) -> JsonResponse:
    coalition = selectors.get_coalition_for_user(request.user, slug)
    points = remembered(
        coalition,
        "map",
        lambda: {
            "points": selectors.coalition_map_points(coalition),
            "served": selectors.coalition_served_points(coalition),
        },
    )
    return JsonResponse(points)


def _membership_ask(
    request: HttpRequest, coalition: Any, form: Any, template: str, pending: Any
) -> HttpResponse:
    """Asking to join and inviting are one service call seen from either side: the form names
    the group, `pending` says what happens next when the other side must still answer."""
    if request.method == "POST" and form.is_valid():
        group = form.cleaned_data["group"]
        try:
            membership = services.membership_request(
                user=request.user,
                coalition=coalition,
                member=group,
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            if membership.status == MembershipStatus.ACTIVE:
                text = _("%(group)s is now a member.") % {"group": group.name}
            else:
                text = pending % {"group": group.name}
            messages.success(request, text)
            return redirect("coalitions:detail", coalition.slug)
    context = {"coalition": coalition, "form": form}
    return render(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def join(request: HttpRequest, slug: str) -> HttpResponse:
    coalition = selectors.get_coalition_for_user(request.user, slug)
    own = own_groups(request.user).exclude(pk=coalition.pk)
    if not own.exists():
        raise PermissionDenied(_("Only the admins of a listed group can ask to join."))
    form = JoinForm(request.POST or None, own=own)
    pending = _("Asked. The coalition's admins will answer.")
    return _membership_ask(request, coalition, form, "coalitions/join.html", pending)


@require_http_methods(["GET", "POST"])
@login_required
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    coalition = selectors.get_coalition_for_user(request.user, slug)
    if not permissions.is_organization_admin(request.user, coalition):
        raise PermissionDenied(_("Only the coalition's admins can invite groups."))
    form = InviteForm(request.POST or None)
    pending = _("%(group)s is invited; its admins will answer.")
    return _membership_ask(request, coalition, form, "coalitions/invite.html", pending)
