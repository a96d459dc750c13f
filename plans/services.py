"""Every write about plans: opening and dropping a plan, linking it to a wider one, and tasks
(adding, the owner group's answer, updates with their notes, dropping, overdue notices).

Each service checks permission on every object it touches, writes the audit log, and moves the
plan's progress counters with F() while the task row is locked, so two groups updating at once
never lose each other's change.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from actions.timezones import default_zone, is_zone
from assemblies import permissions as assembly_permissions
from assemblies.models import Proposal, ProposalStatus
from coalitions.models import Membership
from directory.models import Organization
from plans import notify, permissions
from plans.models import (
    LIVE,
    MAX_WEIGHT,
    Acceptance,
    Plan,
    PlanState,
    Task,
    TaskStatus,
    TaskUpdate,
)


def _text(value: str, *, limit: int, field: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("Keep it under %(n)d characters.") % {"n": limit}})
    return value


def _weight(value: int, field: str = "weight") -> int:
    if not 1 <= int(value) <= MAX_WEIGHT:
        raise ValidationError({field: _("Give a weight from 1 to %(n)d.") % {"n": MAX_WEIGHT}})
    return int(value)


def zone_for(proposal: Proposal) -> str:
    """The clock of the coalition's place: its span, else its home place; UTC when it spans
    several zones (a nation) or none is known."""
    org = proposal.assembly.organization
    profile = getattr(org, "coalition_profile", None)
    place = (profile.span if profile is not None else None) or org.home_place
    return default_zone(place) or "UTC"


@transaction.atomic
def plan_open(
    *, user: Any, proposal: Proposal, title: str = "", summary: str = "", time_zone: str = ""
) -> Plan:
    """An assembly admin turns an adopted proposal into a plan (one per proposal); they own it."""
    assembly = proposal.assembly
    assembly_permissions.require_admin(user, assembly)
    if proposal.status != ProposalStatus.ADOPTED:
        raise ValidationError(_("Only an adopted decision becomes a plan."))
    if Plan.objects.filter(proposal=proposal).exists():
        raise ValidationError(_("This decision already has a plan."))
    zone = time_zone or zone_for(proposal)
    if not is_zone(zone):
        raise ValidationError({"time_zone": _("Choose a time zone.")})
    plan = Plan.objects.create(
        proposal=proposal,
        assembly=assembly,
        title=_text(title or proposal.title, limit=200, field="title"),
        summary=_text(summary, limit=5000, field="summary", required=False),
        owner=user,
        time_zone=zone,
        created_by=user,
    )
    audit_record(actor=user, action="plan.open", target=plan, data={"proposal": proposal.pk})
    return plan


@transaction.atomic
def plan_drop(*, user: Any, plan: Plan, reason: str) -> Plan:
    """An admin drops the plan, saying why; the accountability page shows it dropped."""
    permissions.require_plan_admin(user, plan)
    reason = _text(reason, limit=3000, field="reason")
    dropped = Plan.objects.filter(pk=plan.pk, state=PlanState.ACTIVE).update(
        state=PlanState.DROPPED, drop_reason=reason
    )
    if not dropped:
        raise ValidationError(_("This plan was already dropped."))
    plan.refresh_from_db()
    audit_record(actor=user, action="plan.drop", target=plan, data={"reason": reason})
    notify.tell_plan(
        plan,
        text=_("Plan dropped: %(title)s") % {"title": plan.title},
        url=notify.plan_url(plan),
        exclude=user,
    )
    return plan


def parent_candidates(plan: Plan) -> Any:
    """Plans of the coalitions this plan's organization is an active member of."""
    wider = Membership.objects.active().filter(member_id=plan.assembly.organization_id)
    return (
        Plan.objects.filter(
            assembly__organization_id__in=wider.values("coalition_id"),
            assembly__organization__is_hidden=False,
            state=PlanState.ACTIVE,
        )
        .exclude(pk=plan.pk)
        .select_related("assembly__organization")
        .order_by("assembly__organization__name", "-id")
    )


def _would_loop(plan: Plan, parent: Plan) -> bool:
    seen = {plan.pk}
    current: int | None = parent.pk
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = Plan.objects.filter(pk=current).values_list("contributes_to_id", flat=True)[0]
    return False


@transaction.atomic
def plan_contribute(*, user: Any, plan: Plan, parent: Plan, weight: int = 1) -> Plan:
    """The admins of a plan's assembly count it towards a plan of a wider coalition their
    organization belongs to (a city plan towards the state plan for the same demand)."""
    permissions.require_plan_admin(user, plan)
    permissions.check_visible(user, parent.assembly)
    if not parent_candidates(plan).filter(pk=parent.pk).exists():
        raise ValidationError(
            {"parent": _("Choose an active plan of a coalition your organization belongs to.")}
        )
    if _would_loop(plan, parent):
        raise ValidationError({"parent": _("That plan already counts towards this one.")})
    plan.contributes_to = parent
    plan.contribution_weight = _weight(weight)
    plan.save(update_fields=["contributes_to", "contribution_weight"])
    audit_record(
        actor=user, action="plan.contribute", target=plan, data={"parent": parent.pk, "w": weight}
    )
    notify.tell_plan(
        parent,
        text=_("%(plan)s now counts towards your plan %(parent)s")
        % {"plan": f"{plan.assembly}: {plan.title}", "parent": parent.title},
        url=notify.plan_url(parent),
        exclude=user,
    )
    return plan


@transaction.atomic
def plan_uncontribute(*, user: Any, plan: Plan) -> Plan:
    """Either side ends the link: the contributing plan's admins, or the wider plan's."""
    parent = plan.contributes_to
    if parent is None:
        raise ValidationError(_("This plan does not count towards another."))
    if not (permissions.is_plan_admin(user, plan) or permissions.is_plan_admin(user, parent)):
        raise PermissionDenied(_("Only the admins of either plan can end the link."))
    Plan.objects.filter(pk=plan.pk).update(contributes_to=None)
    plan.contributes_to = None
    audit_record(actor=user, action="plan.uncontribute", target=plan, data={"parent": parent.pk})
    return plan


def _check_group(plan: Plan, group: Organization) -> None:
    if not assembly_permissions.member_groups(plan.assembly).filter(pk=group.pk).exists():
        raise ValidationError(
            {"owner_group": _("Choose a member group of %(name)s.") % {"name": plan.assembly}}
        )


@transaction.atomic
def task_add(
    *,
    user: Any,
    plan: Plan,
    title: str,
    owner_group: Organization,
    due_on: date | None = None,
    weight: int = 1,
) -> Task:
    """An admin adds a task and asks a member group to own it; the group's admins are told."""
    permissions.require_plan_admin(user, plan)
    if plan.state != PlanState.ACTIVE:
        raise ValidationError(_("This plan was dropped."))
    _check_group(plan, owner_group)
    task = Task.objects.create(
        plan=plan,
        title=_text(title, limit=200, field="title"),
        owner_group=owner_group,
        due_on=due_on,
        weight=_weight(weight),
        created_by=user,
    )
    Plan.objects.filter(pk=plan.pk).update(
        task_count=F("task_count") + 1, weight_total=F("weight_total") + task.weight
    )
    audit_record(
        actor=user, action="task.add", target=task, data={"plan": plan.pk, "group": owner_group.pk}
    )
    notify.tell_group(
        owner_group,
        text=_("%(name)s asks %(group)s to own a task: %(title)s")
        % {"name": plan.assembly, "group": owner_group, "title": task.title},
        url=notify.task_url(task),
        exclude=user,
    )
    return task


@dataclass(frozen=True)
class _Counted:
    """What one task adds to its plan's counters."""

    counted: int
    dropped: int
    done: int
    blocked: int
    weight: int
    points: int

    @classmethod
    def of(cls, status: str, progress: int, weight: int) -> "_Counted":
        if status == TaskStatus.DROPPED:
            return cls(0, 1, 0, 0, 0, 0)
        return cls(
            1,
            0,
            int(status == TaskStatus.DONE),
            int(status == TaskStatus.BLOCKED),
            weight,
            weight * progress,
        )


def _move_counters(plan_id: int, before: _Counted, after: _Counted) -> None:
    if before == after:
        return
    Plan.objects.filter(pk=plan_id).update(
        task_count=F("task_count") + (after.counted - before.counted),
        dropped_count=F("dropped_count") + (after.dropped - before.dropped),
        done_count=F("done_count") + (after.done - before.done),
        blocked_count=F("blocked_count") + (after.blocked - before.blocked),
        weight_total=F("weight_total") + (after.weight - before.weight),
        weighted_progress=F("weighted_progress") + (after.points - before.points),
    )


def _locked(task: Task) -> Task:
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("plan__assembly__organization", "plan__owner", "owner_group")
        .get(pk=task.pk)
    )


@transaction.atomic
def task_respond(*, user: Any, task: Task, accept: bool, note: str = "") -> Task:
    """The owner group's admins accept the task or decline it (with a note the plan sees)."""
    permissions.require_owner_admin(user, task)
    task = _locked(task)
    if task.acceptance != Acceptance.ASKED:
        raise ValidationError(_("Your group already answered."))
    note = _text(note, limit=500, field="note", required=False)
    task.acceptance = Acceptance.ACCEPTED if accept else Acceptance.DECLINED
    task.save(update_fields=["acceptance", "updated_at"])
    TaskUpdate.objects.create(
        task=task,
        author=user,
        group=task.owner_group,
        status=task.status,
        progress=task.progress,
        note=note or (_("Accepted.") if accept else _("Declined.")),
    )
    audit_record(actor=user, action="task.respond", target=task, data={"accept": accept})
    if not accept:
        notify.tell_plan(
            task.plan,
            text=_("%(group)s declined the task %(title)s")
            % {"group": task.owner_group, "title": task.title},
            url=notify.task_url(task),
            exclude=user,
        )
    return task


def _record(task: Task, user: Any, status: str, progress: int, note: str) -> Task:
    """Apply a new status and progress to a locked task, with its history line and counters."""
    before = _Counted.of(task.status, task.progress, task.weight)
    was = task.status
    task.status, task.progress = status, progress
    task.save(update_fields=["status", "progress", "updated_at"])
    _move_counters(task.plan_id, before, _Counted.of(status, progress, task.weight))
    TaskUpdate.objects.create(
        task=task,
        author=user,
        group=task.owner_group,
        status=status,
        progress=progress,
        note=note,
    )
    audit_record(
        actor=user,
        action="task.update",
        target=task,
        data={"status": status, "progress": progress, "was": was},
    )
    if status != was and status in (TaskStatus.DONE, TaskStatus.BLOCKED):
        words = {
            TaskStatus.DONE: _("Task done: %(title)s (%(group)s)"),
            TaskStatus.BLOCKED: _("Task blocked: %(title)s (%(group)s)"),
        }
        notify.tell_plan(
            task.plan,
            text=words[TaskStatus(status)] % {"title": task.title, "group": task.owner_group},
            url=notify.task_url(task),
            exclude=user,
        )
    return task


@transaction.atomic
def task_update(*, user: Any, task: Task, status: str, progress: int, note: str) -> Task:
    """The owner group reports where its task stands, with a short note kept in its history.
    Done means 100%; a task is dropped by the plan's admins, not by its group."""
    permissions.require_owner_admin(user, task)
    task = _locked(task)
    if task.acceptance != Acceptance.ACCEPTED:
        raise ValidationError(_("Accept the task before reporting on it."))
    if task.status == TaskStatus.DROPPED or task.plan.state != PlanState.ACTIVE:
        raise ValidationError(_("This task was dropped."))
    if status not in (TaskStatus.OPEN, TaskStatus.DOING, TaskStatus.DONE, TaskStatus.BLOCKED):
        raise ValidationError({"status": _("Choose where the task stands.")})
    progress = 100 if status == TaskStatus.DONE else int(progress)
    if not 0 <= progress <= 100:
        raise ValidationError({"progress": _("Give a progress from 0 to 100.")})
    note = _text(note, limit=500, field="note")
    return _record(task, user, status, progress, note)


@transaction.atomic
def task_drop(*, user: Any, task: Task, note: str) -> Task:
    """The plan's admins drop a task, saying why; it leaves the plan's progress."""
    permissions.require_plan_admin(user, task.plan)
    task = _locked(task)
    if task.status == TaskStatus.DROPPED:
        raise ValidationError(_("This task was already dropped."))
    return _record(
        task, user, TaskStatus.DROPPED, task.progress, _text(note, limit=500, field="note")
    )


@transaction.atomic
def task_reassign(
    *, user: Any, task: Task, owner_group: Organization, due_on: date | None = None
) -> Task:
    """The plan's admins ask another member group (after a decline) or move the due date."""
    permissions.require_plan_admin(user, task.plan)
    task = _locked(task)
    _check_group(task.plan, owner_group)
    fields = ["due_on", "overdue_notified_at", "updated_at"]
    if owner_group.pk != task.owner_group_id:
        task.owner_group, task.acceptance = owner_group, Acceptance.ASKED
        fields += ["owner_group", "acceptance"]
    task.due_on = due_on
    # A new due date may fall overdue in its turn.
    task.overdue_notified_at = None
    task.save(update_fields=fields)
    audit_record(
        actor=user,
        action="task.reassign",
        target=task,
        data={"group": owner_group.pk, "due": due_on.isoformat() if due_on else None},
    )
    if "owner_group" in fields:
        notify.tell_group(
            owner_group,
            text=_("%(name)s asks %(group)s to own a task: %(title)s")
            % {"name": task.plan.assembly, "group": owner_group, "title": task.title},
            url=notify.task_url(task),
            exclude=user,
        )
    return task


def local_today(zone: str, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(zone)).date()


def is_overdue(task: Task, now: datetime | None = None) -> bool:
    return (
        task.due_on is not None
        and task.status in LIVE
        and task.due_on < local_today(task.plan.time_zone, now)
    )


def plans_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The worker's chore: tell each overdue task's plan owner and coalition, once per due
    date. Candidates are read by the (status, due_on) index with a day's slack for the zones
    ahead of UTC; the local day is checked per task."""
    now = now or timezone.now()
    slack = local_today("Etc/GMT-14", now)  # the earliest "today" anywhere
    candidates = Task.objects.filter(
        status__in=LIVE,
        due_on__lt=slack,
        overdue_notified_at__isnull=True,
        plan__state=PlanState.ACTIVE,
    ).select_related("plan__assembly__organization", "plan__owner", "owner_group")
    told = 0
    for task in candidates.iterator(chunk_size=500):
        if not is_overdue(task, now):
            continue
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task.pk, overdue_notified_at__isnull=True).update(
                overdue_notified_at=now
            )
            if not claimed:
                continue
            audit_record(actor=None, action="task.overdue", target=task)
            notify.tell_plan(
                task.plan,
                text=_("Task overdue: %(title)s (%(group)s, due %(due)s)")
                % {"title": task.title, "group": task.owner_group, "due": task.due_on},
                url=notify.task_url(task),
            )
            told += 1
    return {"overdue": told}
