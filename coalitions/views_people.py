"""Pages about people and answers: one membership and its steps, the notice list, co-admins,
and regional coordinators."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import RegionalCoordinator, User
from coalitions import cluster_selectors, notices, roles, selectors, services
from coalitions.forms import (
    AdminInviteForm,
    AnswerForm,
    AppointForm,
    LeaveForm,
    PlaceLookupForm,
    RemoveForm,
)
from coalitions.models import Membership, MembershipStatus
from coalitions.views import own_groups
from commonweal.forms import errors_into
from directory import permissions
from directory.selectors import get_organization_for_user
from places.models import Place

NOTICES_SHOWN = 100
APPOINTMENTS_SHOWN = 300


def _membership_context(user: Any, m: Membership, **forms: Any) -> dict[str, Any]:
    for_member = permissions.is_organization_admin(user, m.member)
    for_coalition = permissions.is_organization_admin(user, m.coalition)
    pending = m.status in (MembershipStatus.REQUESTED, MembershipStatus.INVITED)
    answering = (m.status == MembershipStatus.REQUESTED and for_coalition) or (
        m.status == MembershipStatus.INVITED and for_member
    )
    live = pending or m.status == MembershipStatus.ACTIVE
    return {
        "m": m,
        # What the two sides wrote each other stays between them, even on a public membership.
        "is_party": for_member or for_coalition,
        "answering": answering,
        "can_withdraw": pending and not answering and (for_member or for_coalition),
        "can_leave": m.status == MembershipStatus.ACTIVE and for_member,
        "can_remove": m.status == MembershipStatus.ACTIVE and for_coalition,
        "live": live,
        # The member's clusters are public like the membership; its admins change them on
        # each cluster's page.
        "clusters": (
            cluster_selectors.member_clusters(m.coalition, m.member)
            if m.status == MembershipStatus.ACTIVE
            else []
        ),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "leave_form": forms.get("leave_form") or LeaveForm(),
        "remove_form": forms.get("remove_form") or RemoveForm(),
    }


@require_GET
def membership(request: HttpRequest, pk: int) -> HttpResponse:
    m = selectors.get_membership_for_user(request.user, pk)
    return render(request, "coalitions/membership.html", _membership_context(request.user, m))


def _step(request: HttpRequest, pk: int, form: Any, act: Any, key: str) -> HttpResponse:
    """Run one membership step from a posted form; on refusal show the page with the reason."""
    m = selectors.get_membership_for_user(request.user, pk)
    if form.is_valid():
        try:
            m = act(m, form.cleaned_data)
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("Done. The other side has been told."))
            return redirect("coalitions:membership", m.pk)
    context = _membership_context(request.user, m, **{key: form})
    return render(request, "coalitions/membership.html", context, status=400)


@require_POST
@login_required
def membership_answer(request: HttpRequest, pk: int) -> HttpResponse:
    def act(m: Membership, data: dict[str, Any]) -> Membership:
        answer = (
            services.membership_accept
            if data["decision"] == "accept"
            else services.membership_decline
        )
        return answer(user=request.user, membership=m, message=data["message"])

    return _step(request, pk, AnswerForm(request.POST), act, "answer_form")


@require_POST
@login_required
def membership_leave(request: HttpRequest, pk: int) -> HttpResponse:
    def act(m: Membership, data: dict[str, Any]) -> Membership:
        return services.membership_leave(user=request.user, membership=m, message=data["message"])

    return _step(request, pk, LeaveForm(request.POST), act, "leave_form")


@require_POST
@login_required
def membership_remove(request: HttpRequest, pk: int) -> HttpResponse:
    def act(m: Membership, data: dict[str, Any]) -> Membership:
        return services.membership_remove(user=request.user, membership=m, reason=data["reason"])

    return _step(request, pk, RemoveForm(request.POST), act, "remove_form")


@require_GET
@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    context = {
        "notices": list(notices.notices_for_user(request.user)[:NOTICES_SHOWN]),
        "awaiting": list(selectors.memberships_awaiting(request.user)[:200]),
        "groups": list(own_groups(request.user)),
    }
    return render(request, "coalitions/notices.html", context)


@require_POST
@login_required
def notices_read(request: HttpRequest) -> HttpResponse:
    notices.notices_mark_read(user=request.user)
    return redirect("coalitions:notices")


@require_http_methods(["GET", "POST"])
@login_required
def admins(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug)
    if not permissions.is_organization_admin(request.user, org):
        raise PermissionDenied(_("Only this organization's admins can see and invite its admins."))
    form = AdminInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = roles.admin_invite_send(
                user=request.user, organization=org, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. You can also give them this link: %(link)s")
                % {"email": form.cleaned_data["email"], "link": request.build_absolute_uri(link)},
            )
            return redirect("coalitions:admins", org.slug)
    people = User.objects.filter(organization_roles__organization=org).order_by("display_name")
    context = {"org": org, "form": form, "people": people}
    return render(request, "coalitions/admins.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def admin_join(request: HttpRequest, token: str) -> HttpResponse:
    try:
        org, email, inviter = roles.admin_invite_read(token)
    except ValidationError as error:
        problem = {"problem": " ".join(error.messages)}
        return render(request, "coalitions/admin_join.html", problem, status=400)
    if request.method == "POST":
        roles.admin_invite_accept(user=request.user, token=token)
        messages.success(request, _("You are now an admin of %(name)s.") % {"name": org.name})
        return redirect("organization", org.slug)
    context: dict[str, Any] = {
        "org": org,
        "email": email,
        "inviter": inviter,
        "is_for_you": request.user.email.lower() == email,  # type: ignore[union-attr]
    }
    return render(request, "coalitions/admin_join.html", context)


def _home_places(user: Any) -> list[Place]:
    """The places of the groups a person administers, for "who coordinates my region"."""
    ids = own_groups(user).exclude(home_place=None).values_list("home_place_id", flat=True)
    return list(Place.objects.filter(pk__in=list(ids)).order_by("name")[:10])


@require_GET
def coordinators(request: HttpRequest) -> HttpResponse:
    lookup = PlaceLookupForm(request.GET or None, user=request.user)
    places: list[Place] = []
    if lookup.is_valid() and lookup.cleaned_data["place"] is not None:
        places = [lookup.cleaned_data["place"]]
    elif not lookup.errors and request.user.is_authenticated:
        places = _home_places(request.user)
    is_site = permissions.is_site_coordinator(request.user)
    context = {
        "lookup": lookup,
        "answers": [(place, selectors.coordinators_of(place)) for place in places],
        "is_site_coordinator": is_site,
        "appoint_form": AppointForm(user=request.user) if is_site else None,
        "appointments": _appointments() if is_site else [],
    }
    return render(
        request, "coalitions/coordinators.html", context, status=400 if lookup.errors else 200
    )


def _appointments() -> list[RegionalCoordinator]:
    return list(
        RegionalCoordinator.objects.select_related("user", "place").order_by(
            "place__name", "user__email"
        )[:APPOINTMENTS_SHOWN]
    )


@require_POST
@login_required
def coordinator_appoint(request: HttpRequest) -> HttpResponse:
    if not permissions.is_site_coordinator(request.user):
        raise PermissionDenied(_("Only site coordinators can appoint regional coordinators."))
    form = AppointForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            role = roles.regional_coordinator_appoint(
                user=request.user,
                email=form.cleaned_data["email"],
                place=form.cleaned_data["place"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request,
                _("%(person)s now coordinates %(place)s.")
                % {"person": str(role.user), "place": role.place.name},
            )
            return redirect("coalitions:coordinators")
    context = {
        "lookup": PlaceLookupForm(user=request.user),
        "answers": [],
        "is_site_coordinator": True,
        "appoint_form": form,
        "appointments": _appointments(),
    }
    return render(request, "coalitions/coordinators.html", context, status=400)


@require_POST
@login_required
def coordinator_remove(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.is_site_coordinator(request.user):
        raise PermissionDenied(_("Only site coordinators can remove regional coordinators."))
    role = get_object_or_404(RegionalCoordinator.objects.select_related("user", "place"), pk=pk)
    roles.regional_coordinator_remove(user=request.user, role=role)
    messages.success(
        request,
        _("%(person)s no longer coordinates %(place)s.")
        % {"person": str(role.user), "place": role.place.name},
    )
    return redirect("coalitions:coordinators")
