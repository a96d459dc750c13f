"""Pages of vouching, suspensions, a coalition's assembly bar and the coordinators' pending
actions: parse input → access check → selector/service → render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from commonweal.forms import errors_into
from directory.models import Organization
from places.models import Place
from vouching import foureyes, permissions, selectors, services
from vouching.forms import (
    AS_COORDINATOR,
    AdmitForm,
    BarForm,
    DecideForm,
    MergePairForm,
    MergeRequestForm,
    ReasonForm,
    ReviewForm,
    RoleGrantForm,
    VouchForm,
)
from vouching.models import Bar, Suspension, Vouch


def _vouch_form(request: HttpRequest, org: Organization, data: object = None) -> VouchForm:
    return VouchForm(
        data,
        groups=permissions.voucher_groups(request.user, org),
        coordinator=permissions.can_vouch_as_coordinator(request.user, org),
    )


def _group_page(request: HttpRequest, org: Organization, **forms: object) -> HttpResponse:
    user = request.user
    see = permissions.can_see_vouches(user, org)
    vouch_form = forms.get("vouch_form") or _vouch_form(request, org)
    assert isinstance(vouch_form, VouchForm)
    context = {
        "org": org,
        "can_see": see,
        "received": list(selectors.vouches_received(org)) if see else [],
        "vouch_form": vouch_form if vouch_form.offers_any() else None,
        "can_suspend": permissions.can_suspend(user, org),
        "suspend_form": forms.get("suspend_form") or ReasonForm(),
        "suspensions": list(Suspension.objects.filter(organization=org)[:10]) if see else [],
        "needed": services.VOUCHES_NEEDED,
    }
    status = 400 if any(getattr(f, "errors", None) for f in forms.values()) else 200
    return render(request, "vouching/group.html", context, status=status)


@require_GET
@login_required
def group(request: HttpRequest, slug: str) -> HttpResponse:
    return _group_page(request, selectors.get_group_for_user(request.user, slug))


@require_POST
@login_required
def vouch(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.get_group_for_user(request.user, slug)
    form = _vouch_form(request, org, request.POST)
    if not form.offers_any():
        raise PermissionDenied(_("Only an admin of a verified group can vouch for this group."))
    if form.is_valid():
        try:
            if form.cleaned_data["voucher"] == AS_COORDINATOR:
                services.vouch_give_as_coordinator(
                    user=request.user, organization=org, reason=form.cleaned_data["reason"]
                )
            else:
                voucher = form.voucher_group()
                assert voucher is not None  # the choice came from the groups offered
                services.vouch_give(
                    user=request.user,
                    voucher=voucher,
                    organization=org,
                    reason=form.cleaned_data["reason"],
                )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request, _("Your vouch for %(name)s is recorded.") % {"name": org.name}
            )
            return redirect("vouching:group", org.slug)
    org.refresh_from_db()
    return _group_page(request, org, vouch_form=form)


@require_POST
@login_required
def suspend(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.get_group_for_user(request.user, slug)
    if not permissions.can_suspend(request.user, org):
        raise PermissionDenied(_("Only a coordinator of this group's place can suspend it."))
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            lifting = org.standing == "suspended"
            if lifting:
                services.suspension_lift(
                    user=request.user, organization=org, reason=form.cleaned_data["reason"]
                )
            else:
                services.organization_suspend(
                    user=request.user, organization=org, reason=form.cleaned_data["reason"]
                )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request,
                _("The suspension is lifted.")
                if lifting
                else _("%(name)s is suspended; what it vouched for is flagged for review.")
                % {"name": org.name},
            )
            return redirect("vouching:tree" if not lifting else "vouching:group", org.slug)
    return _group_page(request, org, suspend_form=form)


@require_GET
@login_required
def tree(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.get_group_for_user(request.user, slug)
    if not permissions.can_see_vouches(request.user, org):
        raise PermissionDenied(_("Only coordinators and the groups concerned see vouches."))
    roots, cut = selectors.vouch_tree(org, show_hidden=permissions.coordinates(request.user, org))
    return render(
        request,
        "vouching/tree.html",
        {
            "org": org,
            "roots": roots,
            "cut": cut,
            "received": list(selectors.vouches_received(org)),
            "can_review": permissions.can_suspend(request.user, org),
        },
    )


@require_GET
@login_required
def review(request: HttpRequest) -> HttpResponse:
    if not permissions.is_coordinator(request.user):
        raise PermissionDenied(_("Only coordinators review vouches."))
    rows = list(selectors.flagged_for_review(request.user)[:200])
    return render(request, "vouching/review.html", {"rows": rows, "form": ReviewForm()})


@require_POST
@login_required
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.flagged_for_review(request.user).filter(pk=pk).first()
    if found is None:
        raise PermissionDenied(_("Only a coordinator of this group's place reviews its vouches."))
    vouch_row: Vouch = found
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.vouch_review(
                user=request.user,
                vouch=vouch_row,
                keep=form.cleaned_data["keep"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your review is recorded."))
    else:
        messages.error(request, _("Say why this group is suspended."))
    return redirect("vouching:review")


def _coalition(request: HttpRequest, slug: str) -> Organization:
    org = selectors.get_group_for_user(request.user, slug)
    if not permissions.can_set_bar(request.user, org):
        raise PermissionDenied(_("Only the coalition's admins choose who joins its assembly."))
    return org


@require_http_methods(["GET", "POST"])
@login_required
def bar(request: HttpRequest, slug: str) -> HttpResponse:
    coalition = _coalition(request, slug)
    waiting = selectors.waiting_members(coalition)
    bar_form = BarForm(initial={"bar": selectors.assembly_bar(coalition)})
    admit_form = AdmitForm(members=waiting)
    if request.method == "POST":
        try:
            if "bar" in request.POST:
                bar_form = BarForm(request.POST)
                if bar_form.is_valid():
                    services.assembly_bar_set(
                        user=request.user,
                        coalition=coalition,
                        bar=bar_form.cleaned_data["bar"],
                    )
                    messages.success(request, _("The assembly's bar is saved."))
                    return redirect("vouching:bar", slug)
            else:
                admit_form = AdmitForm(request.POST, members=waiting)
                if admit_form.is_valid():
                    services.admission_record(
                        user=request.user,
                        coalition=coalition,
                        member=admit_form.cleaned_data["member"],
                        how=admit_form.cleaned_data["how"],
                        note=admit_form.cleaned_data["note"],
                    )
                    messages.success(request, _("The group can now take part in the assembly."))
                    return redirect("vouching:bar", slug)
        except ValidationError as error:
            errors_into(admit_form, error)
    context = {
        "coalition": coalition,
        "bar_form": bar_form,
        "admit_form": admit_form,
        "waiting": list(waiting[:200]),
        "current": selectors.assembly_bar(coalition),
        "Bar": Bar,
    }
    status = 400 if bar_form.errors or admit_form.errors else 200
    return render(request, "vouching/bar.html", context, status=status)


def _coordinator(request: HttpRequest) -> None:
    if not permissions.is_coordinator(request.user):
        raise PermissionDenied(_("Only coordinators see actions waiting for a second one."))


@require_GET
@login_required
def pending(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    rows = list(selectors.pending_for_user(request.user)[:200])
    done = list(
        selectors.pending_for_user(request.user, open_only=False).exclude(state="pending")[:30]
    )
    return render(
        request,
        "vouching/pending.html",
        {
            "rows": [(a, foureyes.can_decide(request.user, a)) for a in rows],
            "done": done,
            "form": DecideForm(),
        },
    )


@require_POST
@login_required
def pending_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _coordinator(request)
    action = selectors.get_pending_for_user(request.user, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to confirm, decline or withdraw."))
        return redirect("vouching:pending")
    decision = form.cleaned_data["decision"]
    try:
        if decision == "withdraw":
            foureyes.pending_withdraw(user=request.user, action=action)
        else:
            action = foureyes.pending_decide(
                user=request.user,
                action=action,
                confirm=decision == "confirm",
                answer=form.cleaned_data["answer"],
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{action.get_state_display()}: {action.summary}")
    return redirect("vouching:pending")


def _place(text: str) -> Place | None:
    text = text.strip()
    if not text:
        return None
    found = Place.objects.filter(Q(slug=text) | Q(name__iexact=text)).order_by("lft")[:2]
    places = list(found)
    if len(places) != 1:
        raise ValidationError({"place": _("Give the place's address on the hub, e.g. us-oregon.")})
    return places[0]


@require_http_methods(["GET", "POST"])
@login_required
def role_grant(request: HttpRequest) -> HttpResponse:
    _coordinator(request)
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grantee = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
            if grantee is None:
                raise ValidationError({"email": _("No account has this address.")})
            action = foureyes.role_grant_request(
                user=request.user,
                grantee=grantee,
                place=_place(form.cleaned_data["place"]),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request,
                _("Asked: %(summary)s. It waits for a second coordinator to confirm.")
                % {"summary": action.summary},
            )
            return redirect("vouching:pending")
    status = 400 if form.errors else 200
    return render(request, "vouching/role_grant.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def merge_request(request: HttpRequest) -> HttpResponse:
    """Ask for a merge the duplicates pages could not do alone; a second coordinator confirms."""
    _coordinator(request)
    pair = MergePairForm(request.POST if request.method == "POST" else request.GET)
    if not pair.is_valid():
        raise Http404
    keep = Organization.objects.filter(pk=pair.cleaned_data["keep"]).first()
    other = Organization.objects.filter(pk=pair.cleaned_data["other"]).first()
    if keep is None or other is None:
        raise Http404
    if not foureyes.can_merge(request.user, keep, other):
        raise PermissionDenied(_("Only a coordinator of both places can ask for this merge."))
    form = MergeRequestForm(
        request.POST if request.method == "POST" else None,
        initial={"keep": keep.pk, "other": other.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = foureyes.merge_request(
                user=request.user, keep=keep, other=other, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request,
                _("Asked: %(summary)s. It waits for a second coordinator to confirm.")
                % {"summary": action.summary},
            )
            return redirect("vouching:pending")
    return render(
        request,
        "vouching/merge_request.html",
        {"form": form, "keep": keep, "other": other},
        status=400 if form.errors else 200,
    )
