"""Support pages: ask and offer, browse, pledge and follow a pledge to receipt, campaigns, ties."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions.models import CallToAction
from coalitions.models import Membership
from coalitions.selectors import get_coalition_for_user
from commonweal.forms import errors_into
from directory.models import IssueArea, Organization
from directory.selectors import get_organization_for_user
from places.forms import place_text
from places.models import PlaceKind
from solidarity import interop, permissions, selectors, selectors_ties, services
from solidarity.forms import (
    CampaignForm,
    CloseForm,
    OfferForm,
    PledgeForm,
    RequestEditForm,
    RequestForm,
    StepForm,
    SupportSettingsForm,
)
from solidarity.models import Campaign, Kind, NeedState, SupportOffer, SupportRequest

PER_PAGE = 25
# The most urgent requests of a campaign shown on its page.
CAMPAIGN_REQUESTS = 20
LEVELS = [PlaceKind.COUNTRY, PlaceKind.STATE, PlaceKind.COUNTY, PlaceKind.LOCALITY]


def _areas() -> list[IssueArea]:
    return list(IssueArea.objects.order_by("name"))


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in Kind.values else ""


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.requests_for_user(request.user).filter(state="open")
    if kind := _kind(request):
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("-urgency", "due_on", "id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "solidarity/list.html", {"page": page, "kinds": Kind.choices, "kind": kind}
    )


@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.offers_for_user(request.user).filter(active=True)
    if kind := _kind(request):
        qs = qs.filter(kind=kind)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "solidarity/offers.html", {"page": page, "kinds": Kind.choices, "kind": kind}
    )


def _others(user: Any) -> list[Organization]:
    """Groups a posting may name: those sharing a coalition with the person's groups."""
    ids = permissions.own_ids(user)
    return list(
        Organization.objects.public()
        .filter(permissions.coalition_peer_q(ids, "pk"))
        .exclude(pk__in=ids)
        .order_by("name")[:500]
    )


def _campaigns_for(user: Any) -> list[Campaign]:
    """Open campaigns of the person's coalitions, or of coalitions their groups belong to."""
    ids = permissions.own_ids(user)
    theirs = Membership.objects.active().filter(member_id__in=ids).values("coalition_id")
    return list(
        Campaign.objects.filter(closed=False).filter(
            Q(coalition_id__in=ids) | Q(coalition_id__in=theirs)
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    orgs = selectors.administered(request.user)
    if not orgs:
        return render(request, "solidarity/no_group.html", status=403)
    initial = {}
    if campaign_slug := request.GET.get("campaign"):
        campaign = Campaign.objects.filter(slug=campaign_slug).first()
        initial = {"campaign": str(campaign.pk)} if campaign else {}
    form = RequestForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        user=request.user,
        organizations=orgs,
        issue_areas=_areas(),
        others=_others(request.user),
        campaigns=_campaigns_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            req = services.request_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Your request is posted."))
            return redirect(req)
    return render(
        request,
        "solidarity/posting_form.html",
        {"form": form, "heading": _("Ask for help")},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_new(request: HttpRequest) -> HttpResponse:
    orgs = selectors.administered(request.user)
    if not orgs:
        return render(request, "solidarity/no_group.html", status=403)
    form = OfferForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        organizations=orgs,
        issue_areas=_areas(),
        others=_others(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Your offer is posted."))
            return redirect(offer)
    return render(
        request,
        "solidarity/posting_form.html",
        {"form": form, "heading": _("Offer help")},
        status=400 if form.errors else 200,
    )


_SHARED_FIELDS = (
    "title",
    "kind",
    "quantity",
    "currency",
    "unit",
    "description",
    "remote",
    "visibility",
    "contact_name",
    "contact_email",
)


def _initial(posting: SupportRequest | SupportOffer, fields: tuple[str, ...]) -> dict[str, Any]:
    """An edit form's starting values: the posting as it stands."""
    initial: dict[str, Any] = {name: getattr(posting, name) for name in _SHARED_FIELDS + fields}
    initial["organization"] = str(posting.organization_id)
    initial["issue_area"] = posting.issue_area.slug if posting.issue_area else ""
    initial["place"] = place_text(posting.place)
    initial["visible_to"] = [str(pk) for pk in posting.visible_to.values_list("pk", flat=True)]
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk, write=True)
    if not req.is_open:
        messages.error(request, _("Only an open request can be changed."))
        return redirect(req)
    campaigns = _campaigns_for(request.user)
    if req.campaign is not None and req.campaign not in campaigns:
        campaigns.append(req.campaign)
    initial = _initial(
        req,
        (
            "needed_by",
            "urgency",
            "sensitive",
            "allow_over",
            "money_link",
            "contact_phone",
        ),
    )
    initial["campaign"] = str(req.campaign_id or "")
    form = RequestEditForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        user=request.user,
        organizations=[req.organization],
        issue_areas=_areas(),
        others=_others(request.user),
        campaigns=campaigns,
        known_place=req.place,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.request_update(user=request.user, request=req, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Your request is changed."))
            return redirect(req)
    return render(
        request,
        "solidarity/posting_form.html",
        {"form": form, "heading": _("Change your request"), "cancel": req.get_absolute_url()},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_user(request.user, pk, write=True)
    initial = _initial(offer, ("one_off", "available_from", "available_until"))
    form = OfferForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        user=request.user,
        organizations=[offer.organization],
        issue_areas=_areas(),
        others=_others(request.user),
        known_place=offer.place,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_update(user=request.user, offer=offer, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Your offer is changed."))
            return redirect(offer)
    return render(
        request,
        "solidarity/posting_form.html",
        {"form": form, "heading": _("Change your offer"), "cancel": offer.get_absolute_url()},
        status=400 if form.errors else 200,
    )


def _pledgers(user: Any, req: Any) -> list[Organization]:
    return [
        o
        for o in selectors.administered(user)
        if o.pk != req.organization_id and permissions.can_see_as(o, req)
    ]


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    return _request_page(request, req)


def _request_page(
    request: HttpRequest, req: Any, form: PledgeForm | None = None, status: int = 200
) -> HttpResponse:
    pledgers = _pledgers(request.user, req) if req.is_open else []
    if form is None and pledgers:
        initial = {"amount": req.remaining} if req.remaining else {}
        form = PledgeForm(organizations=pledgers, initial=initial)
    manages = permissions.can_manage(request.user, req)
    context = {
        "req": req,
        "manages": manages,
        "form": form,
        "pledges": selectors.pledges_for_user(request.user, req),
        "contact": selectors.request_contact_for_user(request.user, req),
        "offers": selectors.offers_for_request(req) if manages and req.is_open else [],
        "own_ids": set(permissions.own_ids(request.user)),
    }
    return render(request, "solidarity/request.html", context, status=status)


@login_required
@require_POST
def pledge(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    pledgers = _pledgers(request.user, req)
    if not pledgers:
        raise PermissionDenied(_("None of your groups can pledge to this request."))
    form = PledgeForm(request.POST, organizations=pledgers)
    if form.is_valid():
        try:
            services.pledge_make(user=request.user, request=req, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Thank you: your pledge is recorded."))
            return redirect(req)
    return _request_page(request, req, form, status=400)


@login_required
@require_POST
def request_close(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk, write=True)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That did not work. Reload the page and try again."))
        return redirect(req)
    try:
        services.request_close(
            user=request.user,
            request=req,
            state=form.cleaned_data["state"] or NeedState.NOT_NEEDED,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your request is closed."))
    return redirect(req)


@login_required
@require_POST
def pledge_step(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.get_pledge_for_user(request.user, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That did not work. Reload the page and try again."))
        return redirect(pledge.request)
    data = form.cleaned_data
    step, note, amount = data["step"], data["note"], data["amount"]
    try:
        if step == "accept":
            services.pledge_accept(user=request.user, pledge=pledge)
        elif step == "deliver":
            services.pledge_deliver(user=request.user, pledge=pledge, amount=amount, note=note)
        elif step == "confirm":
            services.pledge_confirm(
                user=request.user,
                pledge=pledge,
                amount=amount,
                note=note,
                show_tie=data["show_tie"],
            )
        elif step == "could_not":
            services.pledge_could_not(user=request.user, pledge=pledge, note=note)
        elif step == "not_needed":
            services.pledge_not_needed(user=request.user, pledge=pledge, note=note)
        elif step == "refer":
            other = Organization.objects.public().filter(slug=data["referred_to"]).first()
            if other is None:
                raise ValidationError(_("Name the group by its address in the directory."))
            services.pledge_refer(user=request.user, pledge=pledge, to=other, note=note)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect(pledge.request)


@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_user(request.user, pk)
    return render(
        request,
        "solidarity/offer.html",
        {"offer": offer, "manages": permissions.can_manage(request.user, offer)},
    )


@login_required
@require_POST
def offer_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_user(request.user, pk, write=True)
    services.offer_withdraw(user=request.user, offer=offer)
    messages.success(request, _("Your offer is withdrawn."))
    return redirect(offer)


@login_required
@require_GET
def matches(request: HttpRequest) -> HttpResponse:
    orgs = selectors.administered(request.user)
    if not orgs:
        return render(request, "solidarity/no_group.html", status=403)
    chosen = next((o for o in orgs if str(o.pk) == request.GET.get("organization")), orgs[0])
    found = selectors.matches_for_organization(chosen)
    return render(
        request,
        "solidarity/matches.html",
        {"orgs": orgs, "chosen": chosen, "matches": found},
    )


@login_required
@require_GET
def unmatched(request: HttpRequest) -> HttpResponse:
    found = selectors.unmatched_for_coordinator(request.user)
    if found is None:
        raise PermissionDenied(_("Only coordinators see the requests of a region."))
    qs, sensitive = found
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "solidarity/unmatched.html", {"page": page, "sensitive": sensitive})


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    qs = Campaign.objects.filter(coalition__is_hidden=False).select_related("coalition", "scope")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    can_run = any(o.is_coalition for o in selectors.administered(request.user))
    return render(request, "solidarity/campaigns.html", {"page": page, "can_run": can_run})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    coalitions = [o for o in selectors.administered(request.user) if o.is_coalition]
    if not coalitions:
        return render(request, "solidarity/no_group.html", {"coalition": True}, status=403)
    calls = list(CallToAction.objects.filter(coalition__in=coalitions).open_for_commitments())
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        coalitions=coalitions,
        calls=calls,
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Your campaign is open."))
            return redirect(campaign)
    return render(
        request,
        "solidarity/posting_form.html",
        {"form": form, "heading": _("Start a campaign")},
        status=400 if form.errors else 200,
    )


@require_GET
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = selectors.get_campaign(slug)
    level = request.GET.get("level", PlaceKind.STATE)
    if level not in LEVELS:
        level = PlaceKind.STATE
    totals = selectors.campaign_rollup(campaign, level=level)
    context = {
        "campaign": campaign,
        "totals": totals,
        "percent": totals.percent(campaign.target),
        "levels": [(k.value, k.label) for k in LEVELS],
        "requests": selectors.campaign_requests(request.user, campaign)[:CAMPAIGN_REQUESTS],
        "runs": permissions.is_admin(request.user, campaign.coalition),
    }
    return render(request, "solidarity/campaign.html", context)


@require_GET
def coalition_support(request: HttpRequest, slug: str) -> HttpResponse:
    coalition = get_coalition_for_user(request.user, slug)
    bars = selectors_ties.coalition_support_series(coalition)
    return render(
        request,
        "solidarity/coalition_support.html",
        {"coalition": coalition, "bars": bars, "total": sum(b.count for b in bars)},
    )


@login_required
@require_POST
def support_settings(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug)
    form = SupportSettingsForm(request.POST)
    if form.is_valid():
        services.support_settings_set(
            user=request.user, organization=org, show_ties=form.cleaned_data["show_ties"]
        )
        messages.success(request, _("Saved."))
    return redirect("organization", org.slug)


@login_required
@require_GET
def organization_export(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_organization_for_user(request.user, slug)
    if not permissions.is_admin(request.user, org):
        raise PermissionDenied(_("Only this group's admins can export its records."))
    response = HttpResponse(interop.organization_csv(org), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-support.csv"'
    return response


@require_GET
def murmurations(request: HttpRequest) -> JsonResponse:
    items = interop.murmurations_items(
        selectors.public_requests(), selectors.public_offers(), request
    )
    return JsonResponse({"data": items, "meta": {"count": len(items)}})


def _profile(request: HttpRequest, posting: Any) -> JsonResponse:
    item = interop.murmurations_item(posting, request)
    interop.validator().validate(item)
    return JsonResponse(item)


@require_GET
def request_profile(request: HttpRequest, pk: int) -> JsonResponse:
    """One want as a Murmurations profile an index can fetch by its own address: only public,
    open requests that are not sensitive have one."""
    found = selectors.public_requests().filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such request."))
    return _profile(request, found)


@require_GET
def offer_profile(request: HttpRequest, pk: int) -> JsonResponse:
    found = selectors.public_offers().filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such offer."))
    return _profile(request, found)


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        interop.needs_calendar(selectors.public_requests(), request),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="needs.ics"'
    return response
