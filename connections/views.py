"""Pages of whom-to-meet and introductions: parse input → access check → selector/service →
render. Every page here is for signed-in people; each refuses those it is not for."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coalitions.views import own_groups
from commonweal.forms import errors_into
from connections import permissions, selectors, services
from connections.forms import AnswerForm, DismissForm, IntroductionForm, OutcomeForm
from connections.models import Answer, IntroductionStatus
from directory.models import Organization
from directory.selectors import get_organization_for_user

SUGGESTIONS_SHOWN = 10


def _owner(request: HttpRequest, slug: str) -> Organization:
    org = get_organization_for_user(request.user, slug)
    if not permissions.can_see_suggestions(request.user, org):
        raise PermissionDenied(
            _("Only this group's admins and coordinators see whom it might meet.")
        )
    return org


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    context = {
        "groups": list(own_groups(request.user)),
        "awaiting": selectors.awaiting_answer(request.user),
        "introductions": list(selectors.introductions_for_user(request.user)[:50]),
    }
    return render(request, "connections/index.html", context)


@require_GET
@login_required
def group(request: HttpRequest, slug: str) -> HttpResponse:
    org = _owner(request, slug)
    if org.is_coalition:
        return redirect("connections:coalition", org.slug)
    context = {
        "org": org,
        "found": selectors.suggestions_for_group(request.user, org, limit=SUGGESTIONS_SHOWN),
        "dismissed": list(selectors.dismissals_for(request.user, org)[:100]),
    }
    return render(request, "connections/group.html", context)


@require_GET
@login_required
def coalition(request: HttpRequest, slug: str) -> HttpResponse:
    org = _owner(request, slug)
    if not org.is_coalition:
        return redirect("connections:group", org.slug)
    context = {
        "org": org,
        "found": selectors.suggestions_for_coalition(request.user, org, limit=SUGGESTIONS_SHOWN),
        "dismissed": list(selectors.dismissals_for(request.user, org)[:100]),
    }
    return render(request, "connections/coalition.html", context)


def _back(org: Organization) -> HttpResponse:
    return redirect("connections:coalition" if org.is_coalition else "connections:group", org.slug)


@require_POST
@login_required
def dismiss(request: HttpRequest, slug: str) -> HttpResponse:
    org = _owner(request, slug)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.suggestion_dismiss(
                user=request.user,
                owner=org,
                key=form.cleaned_data["key"],
                label=form.cleaned_data["label"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("“%(name)s” will not be suggested again. You can undo this below.")
                % {"name": form.cleaned_data["label"] or form.cleaned_data["key"]},
            )
    return _back(org)


@require_POST
@login_required
def restore(request: HttpRequest, slug: str) -> HttpResponse:
    org = _owner(request, slug)
    form = DismissForm(request.POST)
    if form.is_valid() and services.suggestion_restore(
        user=request.user, owner=org, key=form.cleaned_data["key"]
    ):
        messages.success(request, _("It may be suggested again."))
    return _back(org)


@require_http_methods(["GET", "POST"])
@login_required
def introduction_new(request: HttpRequest) -> HttpResponse:
    initial = {k: request.GET.get(k, "")[:500] for k in ("first", "second")}
    form = IntroductionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            introduction = services.introduction_propose(
                user=request.user,
                first=form.cleaned_data["first"],
                second=form.cleaned_data["second"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("Proposed. Both groups' admins are asked."))
            return redirect("connections:introduction", introduction.pk)
    status = 400 if form.errors else 200
    return render(request, "connections/introduction_new.html", {"form": form}, status=status)


def _answerable(user: Any, sides: list[Any]) -> list[Organization]:
    return [
        side.organization
        for side in sides
        if side.answer == Answer.PENDING and permissions.can_answer_for(user, side.organization)
    ]


def _own_sides(user: Any, sides: list[Any]) -> list[Organization]:
    return [s.organization for s in sides if permissions.can_answer_for(user, s.organization)]


@require_GET
@login_required
def introduction(request: HttpRequest, pk: int) -> HttpResponse:
    intro = selectors.get_introduction_for_user(request.user, pk)
    return _introduction_page(request, intro)


def _introduction_page(
    request: HttpRequest, intro: Any, answer_form: Any = None, outcome_form: Any = None
) -> HttpResponse:
    sides = selectors.introduction_sides(intro)
    answerable = (
        _answerable(request.user, sides) if intro.status == IntroductionStatus.PROPOSED else []
    )
    own = _own_sides(request.user, sides) if intro.status == IntroductionStatus.ACCEPTED else []
    if answerable and answer_form is None:
        answer_form = AnswerForm(groups=answerable)
    if own and outcome_form is None:
        outcome_form = OutcomeForm(groups=own)
    context = {
        "intro": intro,
        "sides": sides,
        "answer_form": answer_form if answerable else None,
        "outcome_form": outcome_form if own else None,
        "contacts": selectors.contacts_shared_with(request.user, intro, sides),
    }
    status = (
        400
        if (answer_form and answer_form.errors) or (outcome_form and outcome_form.errors)
        else 200
    )
    return render(request, "connections/introduction.html", context, status=status)


@require_POST
@login_required
def introduction_answer(request: HttpRequest, pk: int) -> HttpResponse:
    intro = selectors.get_introduction_for_user(request.user, pk)
    sides = selectors.introduction_sides(intro)
    answerable = _answerable(request.user, sides)
    if not answerable:
        raise PermissionDenied(_("None of your groups has an answer to give here."))
    form = AnswerForm(request.POST, groups=answerable)
    if form.is_valid():
        try:
            services.introduction_answer(
                user=request.user,
                introduction=intro,
                organization=form.cleaned_data["group"],
                accept=form.cleaned_data["decision"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request, _("Accepted.") if form.cleaned_data["decision"] else _("Declined.")
            )
            return redirect("connections:introduction", intro.pk)
    return _introduction_page(request, intro, answer_form=form)


@require_POST
@login_required
def introduction_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    intro = selectors.get_introduction_for_user(request.user, pk)
    sides = selectors.introduction_sides(intro)
    own = _own_sides(request.user, sides)
    if not own or intro.status != IntroductionStatus.ACCEPTED:
        raise PermissionDenied(_("Only the admins of the two groups say what came of it."))
    form = OutcomeForm(request.POST, groups=own)
    if form.is_valid():
        try:
            services.introduction_outcome_record(
                user=request.user,
                introduction=intro,
                organization=form.cleaned_data["group"],
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("Thank you: it is recorded."))
            return redirect("connections:introduction", intro.pk)
    return _introduction_page(request, intro, outcome_form=form)
