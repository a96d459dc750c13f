"""Plan pages: a decision's plan (or the honest lack of one), its tasks and their history,
links between levels, and an assembly's accountability page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions.timezones import zone_choices
from assemblies import permissions as assembly_permissions
from assemblies.models import ProposalStatus
from assemblies.selectors import get_assembly_for_user
from commonweal.forms import errors_into
from plans import permissions, selectors, services
from plans.forms import (
    ContributeForm,
    DropPlanForm,
    NoteForm,
    PlanOpenForm,
    ReassignForm,
    RespondForm,
    TaskForm,
    TaskUpdateForm,
)
from plans.models import Acceptance, Plan, PlanState, Task, TaskStatus


def _cursor(request: HttpRequest) -> int | None:
    value = request.GET.get("after", "")
    return int(value) if value.isdigit() else None


def _zones(proposal: Any) -> list[Any]:
    org = proposal.assembly.organization
    profile = getattr(org, "coalition_profile", None)
    return zone_choices((profile.span if profile is not None else None) or org.home_place)


@require_http_methods(["GET", "POST"])
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    """A decision's plan: its page when it has one; otherwise says so, and lets an admin of
    the assembly open one for an adopted decision."""
    proposal = selectors.get_decision_for_user(request.user, pk)
    existing = Plan.objects.filter(proposal=proposal).values_list("pk", flat=True).first()
    if existing:
        return redirect("plans:plan", existing)
    is_admin = assembly_permissions.is_admin(request.user, proposal.assembly)
    adopted = proposal.status == ProposalStatus.ADOPTED
    form = None
    if is_admin and adopted:
        initial = {"title": proposal.title, "time_zone": services.zone_for(proposal)}
        form = PlanOpenForm(request.POST or None, initial=initial, zones=_zones(proposal))
    if request.method == "POST":
        if not request.user.is_authenticated or form is None:
            raise PermissionDenied(
                _("Only the assembly's admins open a plan for an adopted decision.")
            )
        if form.is_valid():
            try:
                plan = services.plan_open(user=request.user, proposal=proposal, **form.cleaned_data)
            except ValidationError as error:
                errors_into(form, error)
            else:
                messages.success(request, _("The plan is open. Add its tasks."))
                return redirect("plans:plan", plan.pk)
    context = {
        "proposal": proposal,
        "assembly": proposal.assembly,
        "adopted": adopted,
        "form": form,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "plans/decision.html", context, status=status)


def _plan_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    user = request.user
    is_admin = permissions.is_plan_admin(user, plan)
    totals = selectors.plan_totals([plan])
    page = selectors.tasks_page(plan, after=_cursor(request))
    for task in page.rows:
        task.plan = plan  # the page's plan, so marking overdue reads no more rows
        task.overdue = services.is_overdue(task)  # type: ignore[attr-defined]
    groups = assembly_permissions.member_groups(plan.assembly).order_by("name", "id")
    parents = services.parent_candidates(plan) if is_admin else Plan.objects.none()
    return {
        "plan": plan,
        "assembly": plan.assembly,
        "rolled": totals[plan.pk],
        "contributions": selectors.contributions(plan, totals),
        "page": page,
        "is_admin": is_admin,
        "may_unlink": plan.contributes_to is not None
        and (is_admin or permissions.is_plan_admin(user, plan.contributes_to)),
        "task_form": TaskForm(groups=groups) if is_admin else None,
        "contribute_form": ContributeForm(parents=parents) if is_admin and parents else None,
        "drop_form": DropPlanForm() if is_admin and plan.state == PlanState.ACTIVE else None,
    }


@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_plan_for_user(request.user, pk)
    context = _plan_context(request, found)
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        return render(request, "plans/_task_rows.html", context)
    return render(request, "plans/plan.html", context)


def _post_form(request: HttpRequest, form: Form, run: Any, back: str, done: str) -> HttpResponse:
    """Run a service with a valid form's data; a refusal comes back as a message."""
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        run(form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(back)


@require_POST
@login_required
def task_new(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_plan_for_user(request.user, pk)
    permissions.require_plan_admin(request.user, found)
    form = TaskForm(request.POST, groups=assembly_permissions.member_groups(found.assembly))
    return _post_form(
        request,
        form,
        lambda data: services.task_add(user=request.user, plan=found, **data),
        f"/plans/{found.pk}/",
        _("The task is added; its group is asked to accept it."),
    )


@require_POST
@login_required
def contribute(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_plan_for_user(request.user, pk)
    permissions.require_plan_admin(request.user, found)
    form = ContributeForm(request.POST, parents=services.parent_candidates(found))
    return _post_form(
        request,
        form,
        lambda data: services.plan_contribute(user=request.user, plan=found, **data),
        f"/plans/{found.pk}/",
        _("This plan now counts towards the wider one."),
    )


@require_POST
@login_required
def uncontribute(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_plan_for_user(request.user, pk)
    try:
        services.plan_uncontribute(user=request.user, plan=found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("plans:plan", pk)


@require_POST
@login_required
def drop(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_plan_for_user(request.user, pk)
    permissions.require_plan_admin(request.user, found)
    return _post_form(
        request,
        DropPlanForm(request.POST),
        lambda data: services.plan_drop(user=request.user, plan=found, **data),
        f"/plans/{found.pk}/",
        _("The plan is dropped."),
    )


@require_GET
def task(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_task_for_user(request.user, pk)
    user = request.user
    is_owner = permissions.is_owner_admin(user, found)
    is_admin = permissions.is_plan_admin(user, found.plan)
    live = found.status != TaskStatus.DROPPED and found.plan.state == PlanState.ACTIVE
    groups = assembly_permissions.member_groups(found.plan.assembly).order_by("name", "id")
    context = {
        "task": found,
        "plan": found.plan,
        "overdue": services.is_overdue(found),
        "history": selectors.task_history(found),
        "is_owner": is_owner,
        "is_admin": is_admin,
        "respond_form": RespondForm()
        if is_owner and found.acceptance == Acceptance.ASKED
        else None,
        "update_form": TaskUpdateForm(initial={"status": found.status, "progress": found.progress})
        if is_owner and live and found.acceptance == Acceptance.ACCEPTED
        else None,
        "drop_form": NoteForm() if is_admin and live else None,
        "reassign_form": ReassignForm(
            groups=groups, initial={"owner_group": found.owner_group, "due_on": found.due_on}
        )
        if is_admin and live
        else None,
    }
    return render(request, "plans/task.html", context)


@require_POST
@login_required
def task_respond(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_task_for_user(request.user, pk)
    permissions.require_owner_admin(request.user, found)
    return _post_form(
        request,
        RespondForm(request.POST),
        lambda data: services.task_respond(
            user=request.user, task=found, accept=data["answer"] == "accept", note=data["note"]
        ),
        f"/plans/tasks/{found.pk}/",
        _("Your answer is recorded."),
    )


@require_POST
@login_required
def task_update(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_task_for_user(request.user, pk)
    permissions.require_owner_admin(request.user, found)
    return _post_form(
        request,
        TaskUpdateForm(request.POST),
        lambda data: services.task_update(user=request.user, task=found, **data),
        f"/plans/tasks/{found.pk}/",
        _("The task is updated."),
    )


@require_POST
@login_required
def task_drop(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_task_for_user(request.user, pk)
    permissions.require_plan_admin(request.user, found.plan)
    return _post_form(
        request,
        NoteForm(request.POST),
        lambda data: services.task_drop(user=request.user, task=found, **data),
        f"/plans/tasks/{found.pk}/",
        _("The task is dropped; it no longer counts towards the plan."),
    )


@require_POST
@login_required
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    found: Task = selectors.get_task_for_user(request.user, pk)
    permissions.require_plan_admin(request.user, found.plan)
    groups = assembly_permissions.member_groups(found.plan.assembly)
    return _post_form(
        request,
        ReassignForm(request.POST, groups=groups),
        lambda data: services.task_reassign(user=request.user, task=found, **data),
        f"/plans/tasks/{found.pk}/",
        _("Saved."),
    )


@require_GET
def accountability(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = get_assembly_for_user(request.user, slug)
    page = selectors.accountability_page(assembly, after=request.GET.get("after") or None)
    context = {"assembly": assembly, "page": page}
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        return render(request, "plans/_decision_rows.html", context)
    return render(request, "plans/accountability.html", context)
