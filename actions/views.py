"""Action pages: calls and their live progress, commitments, gaps, reports, feeds and alerts."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions import delivery, feeds, osdi, permissions, selectors, services
from actions.forms import (
    AlertForm,
    CallFilterForm,
    CallForm,
    CancelForm,
    CommitForm,
    ReportForm,
    SubscribeForm,
    WithdrawForm,
)
from actions.models import CallState, Subscription
from commonweal.forms import errors_into
from directory.selectors import get_organization_for_user
from places.forms import place_text
from places.selectors import get_place_for_user

PER_PAGE = 20


@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    form = CallFilterForm(request.GET)
    calls = selectors.calls_for_user(request.user)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    if state in (CallState.GATHERING, CallState.GO):
        calls = calls.filter(state=state)
    elif state == "closed":
        calls = calls.filter(state__in=[CallState.NOT_ENOUGH, CallState.CANCELLED])
    elif state != "all":
        calls = calls.filter(state__in=[CallState.GATHERING, CallState.GO])
    page = Paginator(calls.order_by("deadline", "id"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_issue": bool(selectors.issuable_coalitions(request.user)),
    }
    return render(request, "actions/list.html", context, status=200 if form.is_valid() else 400)


def _call_form(request: HttpRequest, data: Any = None, initial: Any = None) -> CallForm:
    return CallForm(
        data,
        initial=initial,
        user=request.user,
        coalitions=selectors.issuable_coalitions(request.user),
        issue_areas=selectors.issue_areas(),
    )


def _call_fields(form: CallForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "description": data["description"],
        "scope": data["scope"],
        "starts_at": data["starts_at"],
        "ends_at": data["ends_at"],
        "deadline": data["deadline"],
        "issue_areas": data["issue_areas"],
        "min_organizations": data["min_organizations"],
        "place_level": data["place_level"],
        "min_places": data["min_places"],
        "min_per_place": data["min_per_place"],
        "time_zone": data["time_zone"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    if not selectors.issuable_coalitions(request.user):
        return render(request, "actions/no_coalition.html", status=403)
    form = _call_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(
                user=request.user, coalition=form.cleaned_data["coalition"], **_call_fields(form)
            )
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, "Your call is out. Groups can commit now.")
            return redirect(call)
    status = 400 if form.errors else 200
    return render(request, "actions/call_form.html", {"form": form, "mode": "new"}, status=status)


def _wall(call: Any, value: Any) -> Any:
    """A stored time as the wall-clock time the form shows, on the call's own clock."""
    return value.astimezone(call.zone).replace(tzinfo=None) if value else None


def _call_initial(call: Any) -> dict[str, Any]:
    return {
        "coalition": str(call.coalition_id),
        "title": call.title,
        "description": call.description,
        "scope": place_text(call.scope),
        "time_zone": call.time_zone,
        "starts_at": _wall(call, call.starts_at),
        "ends_at": _wall(call, call.ends_at),
        "deadline": _wall(call, call.deadline),
        "issue_areas": [a.slug for a in call.issue_areas.all()],
        "min_organizations": call.min_organizations,
        "place_level": call.place_level,
        "min_places": call.min_places,
        "min_per_place": call.min_per_place,
    }


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug, write=True)
    supersede = (
        request.resolver_match is not None and request.resolver_match.url_name == "supersede"
    )
    if not supersede and not call.editable:
        # Say why and show the call as it stands, rather than a form that fails on save.
        status = 409 if request.method == "POST" else 200
        return render(request, "actions/call_readonly.html", {"call": call}, status=status)
    if request.method == "POST":
        form = _call_form(request, request.POST)
    else:
        form = _call_form(request, initial=_call_initial(call))
    if request.method == "POST" and form.is_valid():
        try:
            if supersede:
                new = services.call_supersede(user=request.user, call=call, **_call_fields(form))
                messages.success(
                    request, "The new call replaces the old one. Committed groups are being told."
                )
                return redirect(new)
            services.call_update(user=request.user, call=call, **_call_fields(form))
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, "The call was updated.")
            return redirect(call)
    context = {"form": form, "call": call, "mode": "supersede" if supersede else "edit"}
    return render(request, "actions/call_form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def call_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """GET asks to confirm (what cancelling does, and who is told); only the confirmation
    page's POST, which carries `confirm`, cancels."""
    call = selectors.get_call_for_user(request.user, slug, write=True)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_cancel(user=request.user, call=call, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(call)
        messages.success(request, "The call was cancelled. Committed groups are being told.")
        return redirect(call)
    context = {"call": call, "form": form}
    status = 400 if form.errors else 200
    return render(request, "actions/cancel.html", context, status=status)


def _call_context(request: HttpRequest, call: Any) -> dict[str, Any]:
    return {
        "call": call,
        "progress": selectors.call_progress(call),
        "rows": selectors.call_place_rows(call),
        "can_manage": permissions.can_manage_call(request.user, call),
    }


@require_GET
def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    context = _call_context(request, call)
    commitments = selectors.commitments_public(call)
    context.update(
        {
            "commitments": commitments[:200],
            "commitment_total": call.active_count,
            "mine": selectors.commitments_of_user(request.user, call),
            "can_commit": call.is_open and bool(selectors.committable_organizations(request.user)),
            "superseded_by": getattr(call, "superseded_by", None),
            "now": timezone.now(),
        }
    )
    return render(request, "actions/call.html", context)


@require_GET
def call_progress(request: HttpRequest, slug: str) -> HttpResponse:
    """The live part of a call page, polled by HTMX while the call gathers."""
    call = selectors.get_call_for_user(request.user, slug)
    response = render(request, "actions/_progress.html", _call_context(request, call))
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def call_rollup(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    return HttpResponse(selectors.rollup_json(call), content_type="application/json")


@require_GET
def call_map(request: HttpRequest, slug: str) -> JsonResponse:
    call = selectors.get_call_for_user(request.user, slug)
    return JsonResponse({"points": selectors.call_map_points(call)})


@require_GET
def call_gaps(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    return render(request, "actions/gaps.html", {"call": call, "gaps": selectors.call_gaps(call)})


@require_GET
def call_after(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    context = {
        "call": call,
        "totals": selectors.call_after_action(call),
        "by_place": selectors.after_action_by_place(call),
        "rows": selectors.call_after_action_rows(request.user, call),
    }
    return render(request, "actions/after.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def commit(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    organizations = selectors.committable_organizations(request.user)
    if not organizations:
        return render(request, "actions/no_organization.html", {"call": call}, status=403)
    existing = {c.organization_id: c for c in selectors.commitments_of_user(request.user, call)}
    initial: dict[str, Any] = {}
    chosen = request.GET.get("organization", "")
    if chosen.isdigit() and int(chosen) in existing and existing[int(chosen)].is_active:
        c = existing[int(chosen)]
        initial = {
            "organization": str(c.organization_id),
            "expected_turnout": c.expected_turnout,
            "event_date": c.event_date,
            "event_time": c.event_time,
            "venue": c.venue,
            "address": c.address,
            "address_public": c.address_public,
            "accessibility": c.accessibility,
            "time_zone": c.time_zone,
        }
    form = CommitForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organizations=organizations,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.commitment_make(user=request.user, call=call, **data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, f"{data['organization'].name} is committed.")
            return redirect(call)
    context = {"call": call, "form": form}
    return render(request, "actions/commit.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    commitment = selectors.get_commitment_for_user(request.user, call, pk, write=True)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.commitment_withdraw(user=request.user, commitment=commitment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(call)
    messages.success(request, f"{commitment.organization.name} withdrew its commitment.")
    return redirect(call)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    commitment = selectors.get_commitment_for_user(request.user, call, pk, write=True)
    initial = {}
    if commitment.reported_at:
        initial = {
            "held": "yes" if commitment.held else "no",
            "turnout": commitment.turnout,
            "outcome": commitment.outcome,
        }
    waiting = services.report_not_open_reason(commitment, timezone.now())
    if waiting:
        context = {"call": call, "commitment": commitment, "waiting": waiting}
        status = 400 if request.method == "POST" else 200
        return render(request, "actions/report.html", context, status=status)
    form = ReportForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_report(
                user=request.user, commitment=commitment, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, "Thank you: your report is in.")
            return redirect("actions:after", slug=call.slug)
    context = {"call": call, "commitment": commitment, "form": form}
    return render(request, "actions/report.html", context, status=400 if form.errors else 200)


# Feeds ------------------------------------------------------------------------------------------


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    return response


@require_GET
def call_ics(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.get_call_for_user(request.user, slug)
    return _ics(feeds.call_calendar(call, request), call.slug)


@require_GET
def place_ics(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_place_for_user(request.user, slug)
    return _ics(feeds.place_calendar(place, request), place.slug)


@require_GET
def organization_ics(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug)
    if org.is_hidden:
        raise Http404("No such organization.")
    return _ics(feeds.organization_calendar(org, request), org.slug)


@require_GET
def osdi_entry(request: HttpRequest) -> JsonResponse:
    return osdi.response(osdi.entry_point(request))


@require_GET
def osdi_events(request: HttpRequest) -> JsonResponse:
    return osdi.response(osdi.events_page(request))


@require_GET
def osdi_event(request: HttpRequest, pk: int) -> JsonResponse:
    return osdi.response(osdi.event_resource(request, pk))


@require_GET
def osdi_attendances(request: HttpRequest, pk: int) -> JsonResponse:
    return osdi.response(osdi.attendances_page(request, pk))


# Alerts -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    """The person's alert subscriptions (their own and their groups'), and a form to add one."""
    form = SubscribeForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        organizations=selectors.committable_organizations(request.user),
        issue_areas=selectors.issue_areas(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, "You will receive these alerts.")
            return redirect("actions:alerts")
    context = {
        "form": form,
        "may_send": permissions.may_send_some_alert(request.user),
        "subscriptions": selectors.subscriptions_for_user(request.user),
        "sent": selectors.alerts_for_user(request.user)[:20],
    }
    return render(request, "actions/alerts.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def subscription_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscriptions_for_user(request.user).filter(pk=pk).first()
    if subscription is None:
        raise Http404("No such subscription.")
    services.subscription_cancel(subscription=subscription, user=request.user)
    messages.success(request, "Those alerts are stopped.")
    return redirect("actions:alerts")


@login_required
@require_http_methods(["GET", "POST"])
def alert_send(request: HttpRequest) -> HttpResponse:
    # Say so before anyone types an alert they could not send.
    if not permissions.may_send_some_alert(request.user):
        raise PermissionDenied(
            _(
                "Alerts are sent by site coordinators, by the coordinators of a region, and by "
                "the admins of a coalition in its name. Your account has none of these roles."
            )
        )
    coalitions = selectors.issuable_coalitions(request.user)
    form = AlertForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        coalitions=coalitions,
        issue_areas=selectors.issue_areas(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            alert = services.alert_send(
                user=request.user,
                subject=data["subject"],
                body=data["body"],
                issue_areas=data["issue_areas"],
                place=data["place"],
                sender_organization=data["sender"],
            )
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, "The alert is on its way.")
            return redirect("actions:alert", pk=alert.pk)
    return render(
        request, "actions/alert_send.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.get_alert_for_user(request.user, pk)
    counts = delivery.delivery_counts(alert)
    problems = alert.deliveries.exclude(status__in=["sent", "pending", "sending"]).order_by("id")[
        :100
    ]
    context = {"alert": alert, "counts": counts, "problems": problems}
    return render(request, "actions/alert.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop alerts from the link in an email. GET asks to confirm, so that link scanners do not
    unsubscribe anyone; POST (the button, or a mail client's one-click) does it. The signed
    token is the authority, which is why no CSRF token is needed."""
    pk = delivery.unsubscribe_subscription_id(token)
    subscription = (
        Subscription.objects.filter(pk=pk).select_related("place").first() if pk else None
    )
    if subscription is None:
        return render(request, "actions/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.subscription_cancel(subscription=subscription)
        return render(
            request, "actions/unsubscribe.html", {"done": True, "subscription": subscription}
        )
    return render(
        request, "actions/unsubscribe.html", {"subscription": subscription, "token": token}
    )
