from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from commonweal.forms import errors_into
from commonweal.lib import csvsafe
from directory import tagging
from directory.forms import OrganizationEditForm, resolve_place
from directory.permissions import is_organization_admin
from directory.selectors import (
    get_organization_for_user,
    issue_areas_list,
    organization_private_contact_for_user,
)
from outbox.selectors import delivery_sentence, delivery_state
from outreach import permissions, selectors, services
from outreach.forms import (
    ClaimDecisionForm,
    ClaimRequestForm,
    DissolveForm,
    EntryAddForm,
    EntryFilterForm,
    EntryForm,
    IssueAreasForm,
    StageForm,
)
from outreach.models import Stage

PER_PAGE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _require_coordinator(user: Any) -> None:
    if not permissions.is_coordinator(user):
        raise PermissionDenied("Outreach is for the coordinators of a place.")


# Claims ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def claim_start(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug)
    form = ClaimRequestForm(request.POST if request.POST.get("action") == "request" else None)
    has_admins = services.has_admins(org)
    if has_admins:
        form.fields["message"].help_text = _("The group's admins read this before deciding.")
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{_login_url()}?next={request.path}")
        action = request.POST.get("action")
        try:
            if action == "link":
                link = services.claim_link_send(
                    user=request.user,
                    organization=org,
                    base_url=request.build_absolute_uri("/"),
                )
                _tell_how_the_link_fared(request, delivery_state(link.message))
                return redirect("organization", slug=org.slug)
            if action == "request" and form.is_valid():
                services.claim_request_create(
                    user=request.user,
                    organization=org,
                    message=form.cleaned_data["message"],
                    base_url=request.build_absolute_uri("/"),
                )
                if has_admins:
                    messages.success(request, _("Your request is with the group's admins."))
                else:
                    messages.success(
                        request, _("Your request is with the coordinators of this area.")
                    )
                return redirect("organization", slug=org.slug)
            if action not in ("link", "request"):
                form.add_error(None, _("Choose how to claim this listing."))
        except ValidationError as error:
            if not form.is_bound:
                # The link route has no fields of its own; its errors show above both forms.
                form = ClaimRequestForm({"message": ""})
                form.is_valid()
            errors_into(form, error)
        status = 400
    context = {
        "org": org,
        "form": form,
        "has_address": bool(services.claim_address(org)),
        "has_admins": has_admins,
        "is_admin": is_organization_admin(request.user, org),
        "days": services.CLAIM_LINK_MAX_AGE.days,
    }
    return render(request, "outreach/claim.html", context, status=status)


def _tell_how_the_link_fared(request: HttpRequest, state: str) -> None:
    """Say the link was mailed only if the mail server took it."""
    sentence = delivery_sentence(state)
    if not sentence:
        messages.success(
            request,
            _(
                "We have mailed a link to the address we hold for this group. "
                "Follow it within a few days to take charge of the listing."
            ),
        )
        return
    messages.warning(request, _("The link has not been mailed yet.") + " " + sentence)


def _login_url() -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    return resolve_url(settings.LOGIN_URL)


@require_http_methods(["GET", "POST"])
@login_required
def claim_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.claim_token_read(token)
    except ValidationError as error:
        return render(
            request,
            "outreach/claim_confirm.html",
            {"error": error.message_dict["token"][0]},
            status=400,
        )
    if request.method == "POST":
        try:
            org = services.claim_link_use(user=request.user, token=token)
        except ValidationError as error:
            return render(
                request,
                "outreach/claim_confirm.html",
                {"error": error.message_dict["token"][0]},
                status=400,
            )
        messages.success(request, f"You now look after the listing of {org.name}.")
        return redirect("organization", slug=org.slug)
    return render(request, "outreach/claim_confirm.html", {"org": link.organization})


@require_http_methods(["GET"])
@login_required
def claim_queue(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request.user)
    claims = list(selectors.claims_pending_for_user(request.user)[:200])
    return render(request, "outreach/claims.html", {"claims": claims})


@require_GET
@login_required
def claim_requests(request: HttpRequest) -> HttpResponse:
    """For a listing's admins: who asks to join them, to accept or decline."""
    claims = list(selectors.claims_for_admin(request.user)[:200])
    return render(request, "outreach/requests.html", {"claims": claims})


@require_POST
@login_required
def claim_decide(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.get_claim_for_user(request.user, pk)
    back = (
        "outreach:requests"
        if is_organization_admin(request.user, claim.organization)
        else "outreach:claims"
    )
    form = ClaimDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose approve or decline."), status=400)
    try:
        services.claim_request_decide(
            user=request.user,
            claim=claim,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(back)


@require_http_methods(["GET", "POST"])
@login_required
def listing_edit(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug, write=True)
    contact = organization_private_contact_for_user(request.user, org)
    form = OrganizationEditForm(
        request.POST or None,
        user=request.user,
        issue_areas=issue_areas_list(),
        home_place=org.home_place,
        initial=OrganizationEditForm.initial_for(org, contact),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                org = services.claimed_listing_update(
                    user=request.user,
                    organization=org,
                    listing=form.listing_fields(),
                    contact=form.contact_fields(),
                    confirm_move=form.cleaned_data["confirm_move"],
                )
        except ValidationError as error:
            errors_into(form, error)
            # A move to another country or out of the editor's region: ask, in the page.
            moves = getattr(error, "error_dict", {}).get("home_place", [])
            asked = [e for e in moves if e.code == "confirm_move"]
            # The box confirms this destination only: typing another place asks again.
            form.move_to = asked[0].params["to"] if asked and asked[0].params else None
        else:
            messages.success(request, "The listing is updated. Imports will not overwrite it.")
            return redirect("organization", slug=org.slug)
    status = 400 if form.errors else 200
    return render(request, "outreach/listing_edit.html", {"org": org, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def dissolve(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug, write=True)
    form = DissolveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.organization_dissolve(user=request.user, organization=org, confirm=True)
        messages.success(request, "The listing now says this group no longer exists.")
        return redirect("organization", slug=org.slug)
    status = 400 if form.errors else 200
    return render(request, "outreach/dissolve.html", {"org": org, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def issue_areas(request: HttpRequest, slug: str) -> HttpResponse:
    """A coordinator's correction of a group's issue areas; no later re-tag undoes it."""
    org = get_organization_for_user(request.user, slug)
    if not tagging.can_correct_issue_areas(request.user, org):
        raise PermissionDenied("Only this group's admins and coordinators can correct its areas.")
    form = IssueAreasForm(
        request.POST if request.method == "POST" else None,
        choices=[(a.slug, a.name) for a in issue_areas_list()],
        initial={"issue_areas": [a.slug for a in org.issue_areas.all()]},
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["automatic"]:
            tagging.organization_issue_areas_unlock(user=request.user, organization=org)
            messages.success(request, "The hub suggests this group's issue areas again.")
        else:
            tagging.organization_issue_areas_correct(
                user=request.user, organization=org, issue_areas=form.cleaned_data["issue_areas"]
            )
            messages.success(request, "Issue areas corrected. Automatic tagging will keep them.")
        return redirect("organization", slug=org.slug)
    context = {"org": org, "form": form}
    return render(request, "outreach/issue_areas.html", context, status=400 if form.errors else 200)


# Outreach --------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[EntryFilterForm, selectors.EntryFilters]:
    areas = issue_areas_list()
    form = EntryFilterForm(request.GET, issue_choices=[(a.slug, a.name) for a in areas])
    filters = selectors.EntryFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters.stage = data["stage"]
        filters.assigned = data["assigned"]
        filters.overdue = data["overdue"]
        filters.issue = next((a for a in areas if a.slug == data["issue"]), None)
        if data["place"]:
            try:
                filters.place = resolve_place(request.user, data["place"])
            except ValidationError as error:
                form.add_error("place", error.messages)
            else:
                if filters.place is None:
                    form.add_error("place", "No place of that name.")
    return form, filters


@require_http_methods(["GET"])
@login_required
def entry_list(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request.user)
    form, filters = _filters(request)
    entries = selectors.entries_filtered(request.user, filters, timezone.localdate())
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "stages": Stage.choices,
        "today": timezone.localdate(),
        "query": query.urlencode(),
    }
    return render(request, "outreach/list.html", context, status=400 if form.errors else 200)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_http_methods(["GET"])
@login_required
def entry_export(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    _require_coordinator(request.user)
    form, filters = _filters(request)
    if form.errors:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    entries = selectors.entries_filtered(request.user, filters, timezone.localdate())
    writer = csvsafe.writer(_Echo())
    header = [
        "organization_id",
        "organization",
        "team_place",
        "stage",
        "next_step",
        "next_step_on",
        "assigned_to",
        "notes",
        "updated_at",
    ]

    def rows() -> Any:
        yield writer.writerow(header)
        for e in entries.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    e.organization_id,
                    e.organization.name,
                    e.place.name,
                    e.stage,
                    e.next_step,
                    e.next_step_on.isoformat() if e.next_step_on else "",
                    e.assigned_to.email if e.assigned_to else "",
                    e.notes,
                    e.updated_at.isoformat(timespec="seconds"),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outreach.csv"'
    return response


@require_POST
@login_required
def entry_add(request: HttpRequest) -> HttpResponse:
    form = EntryAddForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Say which organization to add.", status=400)
    org = get_organization_for_user(request.user, form.cleaned_data["organization"])
    places = selectors.team_places_for_user(request.user, org)
    place_id = form.cleaned_data["place"]
    place = next((p for p in places if p.pk == place_id), None) if place_id else None
    place = place or (places[0] if places else None)
    if place is None:
        raise PermissionDenied("Only the coordinators of this group's place can do outreach.")
    try:
        entry = services.outreach_entry_create(user=request.user, organization=org, place=place)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    return redirect("outreach:entry", pk=entry.pk)


@require_http_methods(["GET", "POST"])
@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_entry_for_user(request.user, pk)
    people = selectors.assignable_people(entry.place)
    form = EntryForm(
        request.POST if request.method == "POST" else None,
        people=people,
        initial={
            "notes": entry.notes,
            "next_step": entry.next_step,
            "next_step_on": entry.next_step_on,
            "assigned_to": entry.assigned_to_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.outreach_entry_update(
                user=request.user,
                entry=entry,
                notes=data["notes"],
                next_step=data["next_step"],
                next_step_on=data["next_step_on"],
                assigned_to=form.people.get(data["assigned_to"]) if data["assigned_to"] else None,
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("outreach:entry", pk=entry.pk)
    context = {
        "entry": entry,
        "form": form,
        "history": list(entry.history.select_related("changed_by")[:50]),
        "stages": Stage.choices,
    }
    return render(request, "outreach/entry.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def entry_stage(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_entry_for_user(request.user, pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose one of the stages.", status=400)
    entry = services.outreach_stage_set(
        user=request.user, entry=entry, stage=form.cleaned_data["stage"]
    )
    if request.htmx:
        context = {"entry": entry, "stages": Stage.choices, "today": timezone.localdate()}
        return render(request, "outreach/_entry_row.html", context)
    return redirect("outreach:entry", pk=entry.pk)
