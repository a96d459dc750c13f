"""Reads for plans and the accountability page, limited to what the reader may see, each a
fixed number of queries however many tasks or decisions there are (counters on the plan rows,
keyset paging, contributing plans read a level at a time)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from assemblies.models import AgendaItem, Assembly, Proposal, ProposalStatus, Question
from coalitions.models import LEVEL_ORDER, CoalitionProfile
from plans import permissions, rollup
from plans.models import Plan, PlanState, Task, TaskUpdate

TASKS_PER_PAGE = 50
HISTORY = 50
DECISIONS_PER_PAGE = 30
# Deepest chain of contributing plans read (neighbourhood up to world is seven levels).
MAX_DEPTH = 12


def get_plan_for_user(user: Any, pk: int) -> Plan:
    plan = get_object_or_404(
        Plan.objects.select_related(
            "assembly__organization", "proposal", "owner", "contributes_to__assembly__organization"
        ),
        pk=pk,
    )
    permissions.check_visible(user, plan.assembly)
    return plan


def get_task_for_user(user: Any, pk: int) -> Task:
    task = get_object_or_404(
        Task.objects.select_related("plan__assembly__organization", "plan__owner", "owner_group"),
        pk=pk,
    )
    permissions.check_visible(user, task.plan.assembly)
    return task


def get_decision_for_user(user: Any, pk: int) -> Proposal:
    proposal = get_object_or_404(Proposal.objects.select_related("assembly__organization"), pk=pk)
    permissions.check_visible(user, proposal.assembly)
    return proposal


@dataclass
class Keyset:
    rows: list[Any]
    next_after: str | None


def tasks_page(plan: Plan, *, after: int | None = None) -> Keyset:
    rows = Task.objects.filter(plan=plan).select_related("owner_group").order_by("id")
    if after:
        rows = rows.filter(id__gt=after)
    page = list(rows[: TASKS_PER_PAGE + 1])
    more = len(page) > TASKS_PER_PAGE
    page = page[:TASKS_PER_PAGE]
    return Keyset(page, str(page[-1].id) if more and page else None)


def task_history(task: Task) -> list[TaskUpdate]:
    return list(TaskUpdate.objects.filter(task=task).select_related("author", "group")[:HISTORY])


def _nodes(roots: Iterable[Plan]) -> dict[int, rollup.Node]:
    """The given plans and every plan contributing to them, read one level per query."""

    def node(p: Any) -> rollup.Node:
        return rollup.Node(
            id=p.pk,
            weight_total=p.weight_total,
            weighted_progress=p.weighted_progress,
            parent=p.contributes_to_id,
            contribution_weight=p.contribution_weight,
            dropped=p.state == PlanState.DROPPED,
        )

    nodes = {p.pk: node(p) for p in roots}
    frontier = list(nodes)
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        found = [
            p
            for p in Plan.objects.filter(contributes_to_id__in=frontier).only(
                "id",
                "weight_total",
                "weighted_progress",
                "contributes_to_id",
                "contribution_weight",
                "state",
            )
            if p.pk not in nodes
        ]
        nodes.update((p.pk, node(p)) for p in found)
        frontier = [p.pk for p in found]
    return nodes


def plan_totals(plans: Iterable[Plan]) -> dict[int, rollup.Rolled]:
    return rollup.roll_up(_nodes(list(plans)))


@dataclass
class Contribution:
    plan: Plan
    rolled: rollup.Rolled
    counted: bool


def contributions(plan: Plan, totals: dict[int, rollup.Rolled]) -> list[Contribution]:
    """The plans that count towards this one, one level down, with their own totals."""
    rows = (
        Plan.objects.filter(contributes_to=plan)
        .select_related("assembly__organization__coalition_profile")
        .order_by("assembly__organization__name", "id")
    )
    mine = totals[plan.pk]
    return [
        Contribution(p, totals[p.pk], p.pk in mine.counted_plans) for p in rows if p.pk in totals
    ]


def _level(organization: Any) -> str:
    profile = getattr(organization, "coalition_profile", None)
    return profile.level if profile is not None else "group"


def progress_by_level(proposals: Iterable[Proposal | int]) -> list[rollup.LevelProgress]:
    """For the program's plank page: the plank's adoptions (proposals adopted by assemblies
    at different levels) and their plans' total progress, one row per coalition level,
    smallest level first, then a row "all" for every level together. Decisions without a plan
    are counted as such, never as 0%."""
    ids = [p if isinstance(p, int) else p.pk for p in proposals]
    adopted = Proposal.objects.filter(
        pk__in=ids, status=ProposalStatus.ADOPTED, assembly__organization__is_hidden=False
    ).values_list("pk", "assembly__organization_id")
    org_of = dict(adopted)
    levels = dict(
        CoalitionProfile.objects.filter(organization_id__in=set(org_of.values())).values_list(
            "organization_id", "level"
        )
    )
    plans = {p.proposal_id: p for p in Plan.objects.filter(proposal_id__in=list(org_of))}
    totals = plan_totals(plans.values())
    rows: dict[str, rollup.LevelProgress] = {}
    everything = rollup.LevelProgress("all")
    for proposal_id, org_id in org_of.items():
        level = levels.get(org_id, "group")
        plan = plans.get(proposal_id)
        has_plan = plan is not None
        dropped = plan is not None and plan.state == PlanState.DROPPED
        total = totals[plan.pk].total if plan is not None else None
        for row in (rows.setdefault(level, rollup.LevelProgress(level)), everything):
            row.add(has_plan=has_plan, dropped=dropped, total=total)
    ordered = sorted(rows.values(), key=lambda r: LEVEL_ORDER.get(r.level, -1))
    return [*ordered, everything] if ordered else []


# The accountability page.


@dataclass
class Decision:
    """One decision an assembly took, and what became of it."""

    kind: str  # "question" or "meeting"
    pk: int
    at: datetime
    title: str
    proposal: Proposal | None
    adopted: bool | None
    result: Any = None
    plan: Plan | None = None
    total: float | None = None

    @property
    def key(self) -> str:
        return f"{self.at.isoformat()}|{self.kind}|{self.pk}"

    @property
    def outcome(self) -> str:
        """What became of it: no plan needed, no plan yet, dropped, done or under way."""
        if self.adopted is None:
            return "result"
        if not self.adopted:
            return "not-adopted"
        if self.plan is None:
            return "no-plan"
        if self.plan.state == PlanState.DROPPED:
            return "dropped"
        if self.total is None:
            return "no-tasks"
        return "done" if self.total >= 100 else "progress"


# Kinds in the order they sort among decisions taken at the same moment (newest first).
KINDS = ("question", "meeting")


def _parse_key(key: str | None) -> tuple[datetime, str, int] | None:
    if not key:
        return None
    try:
        at, kind, pk = key.split("|")
        if kind not in KINDS:
            return None
        return datetime.fromisoformat(at), kind, int(pk)
    except ValueError:
        return None


def _before(kind: str, key: tuple[datetime, str, int] | None) -> Q:
    """Rows of `kind` that come after the cursor in (time, kind, id) descending order."""
    if key is None:
        return Q()
    at, ckind, pk = key
    if kind == ckind:
        same = Q(at=at, pk__lt=pk)
    else:
        same = Q(at=at) if KINDS.index(kind) > KINDS.index(ckind) else Q(pk__in=[])
    return Q(at__lt=at) | same


def _questions(assembly: Assembly) -> QuerySet[Question]:
    """Closed rounds of the assembly itself (not a group's own run of a coalition's question),
    dated by when they closed. A round closed without the closing service (loaded in bulk) has
    no stamp: then its scheduled close, else when it opened."""
    from django.db.models.functions import Coalesce

    return Question.objects.filter(assembly=assembly, state="closed", parent__isnull=True).annotate(
        at=Coalesce("decided_at", "closes_at", "opens_at", "created_at")
    )


def _meeting_items(assembly: Assembly) -> QuerySet[AgendaItem]:
    from django.db.models import F

    return (
        AgendaItem.objects.filter(meeting__assembly=assembly)
        .exclude(decision="")
        .annotate(at=F("meeting__starts_at"))
    )


def _adopted_by(question: Question) -> bool | None:
    """Whether the round adopted its proposal; None for a round that decided something else
    (an amendment, an election, a budget), whose result is the decision."""
    if question.proposal_id is None or question.amendment_id is not None or not question.yes_no:
        return None
    return bool((question.result or {}).get("passed"))


def _adopted_in_room(item: AgendaItem) -> bool | None:
    decided = (ProposalStatus.ADOPTED, ProposalStatus.REJECTED)
    if item.proposal is None or item.proposal.status not in decided:
        return None
    return item.proposal.status == ProposalStatus.ADOPTED


def accountability_page(assembly: Assembly, *, after: str | None = None) -> Keyset:
    """Every decision the assembly took, newest first, a page at a time by key: closed
    rounds (with their proposal, if any) and the decisions recorded in meetings. Adopted
    proposals are among them, since a proposal is only adopted by one or the other."""
    key = _parse_key(after)
    n = DECISIONS_PER_PAGE + 1
    # The newest ids first, sorted on narrow rows; then only those rows with their proposals
    # (joining every proposal before the sort cost PostgreSQL twice as much at 10,000).
    question_ids = list(
        _questions(assembly)
        .filter(_before("question", key))  # type: ignore[misc]
        .order_by("-at", "-pk")
        .values_list("pk", flat=True)[:n]
    )
    questions = list(_questions(assembly).filter(pk__in=question_ids).select_related("proposal"))
    item_ids = list(
        _meeting_items(assembly)
        .filter(_before("meeting", key))  # type: ignore[misc]
        .order_by("-at", "-pk")
        .values_list("pk", flat=True)[:n]
    )
    items = list(
        _meeting_items(assembly).filter(pk__in=item_ids).select_related("proposal", "meeting")
    )
    rows = [
        Decision(
            "question",
            q.pk,
            q.at,  # type: ignore[attr-defined]
            q.title,
            q.proposal,
            _adopted_by(q),
            q.result,
        )
        for q in questions
    ] + [
        Decision(
            "meeting",
            i.pk,
            i.at,  # type: ignore[attr-defined]
            i.title,
            i.proposal,
            _adopted_in_room(i),
            i.decision,
        )
        for i in items
    ]
    rows.sort(key=lambda d: (d.at, KINDS.index(d.kind) * -1, d.pk), reverse=True)
    page = rows[:DECISIONS_PER_PAGE]
    more = len(rows) > DECISIONS_PER_PAGE
    adopted = {d.proposal.pk for d in page if d.adopted and d.proposal is not None}
    plans = {
        p.proposal_id: p
        for p in Plan.objects.filter(proposal_id__in=adopted).select_related("owner")
    }
    totals = plan_totals(plans.values())
    for d in page:
        if d.adopted and d.proposal is not None and d.proposal.pk in plans:
            d.plan = plans[d.proposal.pk]
            d.total = totals[d.plan.pk].total
    return Keyset(page, page[-1].key if more and page else None)
