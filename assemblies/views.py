"""Assembly pages: the list, holding one, an assembly's page, proposals, amendments and
deliberation. Questions and meetings are in views_questions.py."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assemblies import permissions, selectors, services
from assemblies.diffs import word_diff
from assemblies.forms import (
    AmendmentDecisionForm,
    AmendmentForm,
    ArgumentForm,
    AssemblyForm,
    PersonAddForm,
    ProposalForm,
)
from assemblies.models import Argument, Assembly, ProposalStatus, QuestionState
from commonweal.forms import errors_into
from directory import permissions as directory_permissions
from directory.models import Organization


def cursor(request: HttpRequest, name: str = "after") -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    page = selectors.assemblies_page(request.user, after=cursor(request))
    own = Organization.objects.filter(
        pk__in=directory_permissions.administered_organization_ids(request.user),
        assembly__isnull=True,
    ).order_by("name")
    return render(request, "assemblies/index.html", {"page": page, "own": own})


@require_http_methods(["GET", "POST"])
@login_required
def new(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    if not directory_permissions.is_organization_admin(request.user, organization):
        raise PermissionDenied(_("Only this group's admins can open its assembly."))
    form = AssemblyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assembly = services.assembly_open(
                user=request.user, organization=organization, **form.cleaned_data
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request, _("The assembly of %(name)s is open.") % {"name": organization}
            )
            return redirect("assemblies:detail", assembly.organization.slug)
    return render(
        request,
        "assemblies/new.html",
        {"form": form, "organization": organization},
        status=400 if form.errors else 200,
    )


def _detail_context(request: HttpRequest, assembly: Assembly) -> dict[str, Any]:
    status = request.GET.get("status", "")
    user = request.user
    groups = permissions.groups_spoken_for(user, assembly)
    return {
        "assembly": assembly,
        "page": selectors.proposals_page(assembly, status=status, after=cursor(request)),
        "status": status,
        "statuses": ProposalStatus.choices,
        "is_admin": permissions.is_admin(user, assembly),
        "is_participant": permissions.is_participant(user, assembly, groups),
        "groups": groups,
        "member_count": permissions.member_groups(assembly).count(),
        "people_count": assembly.person_count,
        "questions": assembly.questions.exclude(
            state=QuestionState.DRAFT, parent__isnull=False
        ).order_by("-id")[:20],
        "meetings": assembly.meetings.all()[:10],
        "person_form": PersonAddForm(
            groups=Organization.objects.filter(pk__in=[g.pk for g in groups])
        ),
    }


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug)
    context = _detail_context(request, assembly)
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        return render(request, "assemblies/_proposal_rows.html", context)
    return render(request, "assemblies/detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def settings_edit(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug, write=True)
    initial = {
        "people": assembly.people,
        "support_threshold": assembly.support_threshold,
        "description": assembly.description,
    }
    form = AssemblyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.assembly_update(user=request.user, assembly=assembly, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("assemblies:detail", slug)
    return render(
        request,
        "assemblies/new.html",
        {"form": form, "organization": assembly.organization, "editing": True},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def join(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug)
    services.assembly_join(user=request.user, assembly=assembly)
    messages.success(request, _("You take part in this assembly."))
    return redirect("assemblies:detail", slug)


@require_POST
@login_required
def person_add(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug)
    groups = permissions.groups_spoken_for(request.user, assembly)
    form = PersonAddForm(
        request.POST, groups=Organization.objects.filter(pk__in=[g.pk for g in groups])
    )
    if not groups:
        raise PermissionDenied(_("Only an admin of a member group can add its people."))
    if form.is_valid():
        try:
            services.assembly_person_add(user=request.user, assembly=assembly, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Added."))
    else:
        messages.error(request, _("Give one of your groups and an email address."))
    return redirect("assemblies:detail", slug)


@require_http_methods(["GET", "POST"])
@login_required
def proposal_new(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug)
    permissions.require_participant(request.user, assembly)
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_submit(
                user=request.user, assembly=assembly, **form.cleaned_data
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            return redirect("assemblies:proposal", proposal.pk)
    return render(
        request,
        "assemblies/proposal_new.html",
        {"form": form, "assembly": assembly},
        status=400 if form.errors else 200,
    )


def _proposal_context(request: HttpRequest, proposal: Any) -> dict[str, Any]:
    user = request.user
    assembly = proposal.assembly
    amendments = list(proposal.amendments.select_related("author"))
    for amendment in amendments:
        amendment.diff = word_diff(amendment.base_text, amendment.text)  # type: ignore[attr-defined]
    return {
        "assembly": assembly,
        "proposal": proposal,
        "amendments": amendments,
        "strongest": selectors.strongest_arguments(proposal),
        "thread": selectors.argument_thread(proposal, after=cursor(request)),
        "is_participant": permissions.is_participant(user, assembly),
        "is_admin": permissions.is_admin(user, assembly),
        "is_author": proposal.author_id == getattr(user, "pk", None),
        "questions": proposal.questions.filter(parent__isnull=True).order_by("-id"),
        "argument_form": ArgumentForm(),
        "amendment_form": AmendmentForm(initial={"text": proposal.body}),
    }


@require_GET
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.get_proposal_for_user(request.user, pk)
    context = _proposal_context(request, proposal)
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        return render(request, "assemblies/_thread.html", context)
    return render(request, "assemblies/proposal.html", context)


@require_POST
@login_required
def support(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.get_proposal_for_user(request.user, pk)
    try:
        services.proposal_support(user=request.user, proposal=proposal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You support this proposal."))
    return redirect("assemblies:proposal", pk)


@require_http_methods(["GET", "POST"])
@login_required
def amend(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.get_proposal_for_user(request.user, pk)
    permissions.require_participant(request.user, proposal.assembly)
    form = AmendmentForm(request.POST or None, initial={"text": proposal.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.amendment_propose(
                user=request.user,
                proposal=proposal,
                new_text=form.cleaned_data["text"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("Your amendment is proposed."))
            return redirect("assemblies:proposal", pk)
    return render(
        request,
        "assemblies/amend.html",
        {"form": form, "proposal": proposal, "assembly": proposal.assembly},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def amendment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    amendment = selectors.get_amendment_for_user(request.user, pk)
    form = AmendmentDecisionForm(request.POST)
    if not form.is_valid():
        raise Http404
    choice = form.cleaned_data["decision"]
    actions = {
        "accept": services.amendment_accept,
        "decline": services.amendment_decline,
        "vote": services.amendment_to_vote,
    }
    try:
        result = actions[choice](user=request.user, amendment=amendment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assemblies:proposal", amendment.proposal_id)
    if choice == "vote":
        return redirect("assemblies:question", result.pk)
    messages.success(request, _("Decided."))
    return redirect("assemblies:proposal", amendment.proposal_id)


@require_POST
@login_required
def argue(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.get_proposal_for_user(request.user, pk)
    permissions.require_participant(request.user, proposal.assembly)
    form = ArgumentForm(request.POST)
    if form.is_valid():
        parent_id = form.cleaned_data["parent"]
        parent = get_object_or_404(Argument, pk=parent_id, proposal=proposal) if parent_id else None
        try:
            argument = services.argument_post(
                user=request.user,
                proposal=proposal,
                stance=form.cleaned_data["stance"],
                body=form.cleaned_data["text"],
                parent=parent,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            return redirect(f"{proposal_url(proposal.pk)}#argument-{argument.pk}")
    else:
        messages.error(request, _("Say whether it is for, against or a question, and write it."))
    return redirect("assemblies:proposal", pk)


def proposal_url(pk: int) -> str:
    return reverse("assemblies:proposal", args=[pk])


@require_POST
@login_required
def endorse(request: HttpRequest, pk: int) -> HttpResponse:
    argument = selectors.get_argument_for_user(request.user, pk)
    argument = services.argument_endorse(user=request.user, argument=argument)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "assemblies/_endorse.html", {"argument": argument, "is_participant": True}
        )
    return redirect(f"{proposal_url(argument.proposal_id)}#argument-{argument.pk}")
