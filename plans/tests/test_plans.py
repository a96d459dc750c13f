"""Plans and tasks through their services: who may do what, progress, notices, overdue."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, User
from assemblies import services as assembly_services
from assemblies.models import ProposalStatus
from coalitions import services as coalition_services
from coalitions.models import Notice
from directory import services as directory_services
from plans import services
from plans.models import Acceptance, Plan, Task, TaskStatus, TaskUpdate
from plans.tests.conftest import City, State, adopt

pytestmark = pytest.mark.django_db


def open_plan(city: City, title: str = "A community land trust") -> Plan:
    proposal = adopt(city.assembly, title, city.admins[0])
    return services.plan_open(user=city.chair, proposal=proposal)


def accepted_task(city: City, plan: Plan, i: int = 0, **extra: Any) -> Task:
    task = services.task_add(
        user=city.chair, plan=plan, title=f"Task {i}", owner_group=city.groups[i], **extra
    )
    return services.task_respond(user=city.admins[i], task=task, accept=True)


def test_it_turns_only_an_adopted_decision_into_a_plan_once(city: City) -> None:
    proposal = adopt(city.assembly, "Rent strike fund")
    plan = services.plan_open(user=city.chair, proposal=proposal)
    assert plan.owner == city.chair and plan.title == "Rent strike fund"
    assert plan.time_zone == "America/Los_Angeles"
    assert AuditEvent.objects.filter(action="plan.open", target_id=str(plan.pk)).exists()
    with pytest.raises(ValidationError, match="already has a plan"):
        services.plan_open(user=city.chair, proposal=proposal)
    proposal.status = ProposalStatus.REJECTED
    rejected = adopt(city.assembly, "Not this")
    rejected.status = ProposalStatus.REJECTED
    rejected.save()
    with pytest.raises(ValidationError, match="Only an adopted decision"):
        services.plan_open(user=city.chair, proposal=rejected)


def test_it_refuses_anyone_but_the_assemblys_admins_opening_a_plan(
    city: City, outsider: User
) -> None:
    proposal = adopt(city.assembly, "Rent strike fund")
    for person in (outsider, city.admins[0]):
        with pytest.raises(PermissionDenied):
            services.plan_open(user=person, proposal=proposal)
    assert not Plan.objects.exists()


def test_it_asks_only_a_member_group_to_own_a_task(city: City, outsider: User) -> None:
    plan = open_plan(city)
    stranger = directory_services.organization_create(user=outsider, name="Elsewhere Club")
    with pytest.raises(ValidationError, match="member group"):
        services.task_add(user=city.chair, plan=plan, title="Leaflets", owner_group=stranger)
    with pytest.raises(PermissionDenied):
        services.task_add(user=outsider, plan=plan, title="Leaflets", owner_group=city.groups[0])
    task = services.task_add(
        user=city.chair, plan=plan, title="Leaflets", owner_group=city.groups[1], weight=2
    )
    assert task.acceptance == Acceptance.ASKED
    plan.refresh_from_db()
    assert (plan.task_count, plan.weight_total) == (1, 2)
    assert Notice.objects.filter(user=city.admins[1], url=f"/plans/tasks/{task.pk}/").exists()


def test_it_lets_the_owner_group_accept_and_report_with_a_note_kept_as_history(
    city: City,
) -> None:
    plan = open_plan(city)
    task = accepted_task(city, plan, 0)
    services.task_update(
        user=city.admins[0], task=task, status=TaskStatus.DOING, progress=40, note="Printed."
    )
    services.task_update(
        user=city.admins[0], task=task, status=TaskStatus.DONE, progress=10, note="All handed out."
    )
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.DONE, 100)
    notes = list(TaskUpdate.objects.filter(task=task).values_list("note", flat=True))
    assert notes == ["All handed out.", "Printed.", "Accepted."]
    assert AuditEvent.objects.filter(action="task.update", target_id=str(task.pk)).count() == 2


def test_it_refuses_a_group_that_is_not_the_owner_and_an_outsider(
    city: City, outsider: User
) -> None:
    plan = open_plan(city)
    task = services.task_add(
        user=city.chair, plan=plan, title="Leaflets", owner_group=city.groups[0]
    )
    for person in (city.admins[1], outsider, city.chair):
        with pytest.raises(PermissionDenied):
            services.task_respond(user=person, task=task, accept=True)
    task = services.task_respond(user=city.admins[0], task=task, accept=True)
    for person in (city.admins[1], outsider, city.chair):
        with pytest.raises(PermissionDenied):
            services.task_update(
                user=person, task=task, status=TaskStatus.DONE, progress=100, note="Done!"
            )
    with pytest.raises(PermissionDenied):
        services.task_drop(user=city.admins[0], task=task, note="Not ours.")


def test_it_refuses_a_report_before_the_group_accepts(city: City) -> None:
    plan = open_plan(city)
    task = services.task_add(
        user=city.chair, plan=plan, title="Leaflets", owner_group=city.groups[0]
    )
    with pytest.raises(ValidationError, match="Accept the task"):
        services.task_update(
            user=city.admins[0], task=task, status=TaskStatus.DOING, progress=5, note="Hm."
        )
    services.task_respond(user=city.admins[0], task=task, accept=False, note="No people free.")
    assert Notice.objects.filter(user=city.chair, text__contains="declined").exists()
    task = services.task_reassign(user=city.chair, task=task, owner_group=city.groups[1])
    assert task.acceptance == Acceptance.ASKED and task.owner_group == city.groups[1]


def test_progress_is_weighted_and_leaves_dropped_tasks_out(city: City) -> None:
    plan = open_plan(city)
    a = accepted_task(city, plan, 0, weight=1)
    b = accepted_task(city, plan, 1, weight=3)
    c = accepted_task(city, plan, 2, weight=4)
    services.task_update(user=city.admins[0], task=a, status="done", progress=0, note="Done.")
    services.task_update(user=city.admins[1], task=b, status="doing", progress=20, note="Going.")
    plan.refresh_from_db()
    # (1×100 + 3×20 + 4×0) / 8 = 20%.
    assert plan.own_percent == pytest.approx(20)
    services.task_drop(user=city.chair, task=c, note="The landlord sold the building.")
    plan.refresh_from_db()
    # (100 + 60) / 4 = 40%, with one dropped task said so.
    assert plan.own_percent == pytest.approx(40)
    assert (plan.task_count, plan.dropped_count, plan.done_count) == (2, 1, 1)


def test_done_and_blocked_tell_the_plan_owner_and_the_coalition(city: City) -> None:
    plan = open_plan(city)
    task = accepted_task(city, plan, 0)
    mail.outbox.clear()
    services.task_update(
        user=city.admins[0], task=task, status=TaskStatus.BLOCKED, progress=0, note="No hall."
    )
    assert Notice.objects.filter(user=city.chair, text__startswith="Task blocked").exists()
    services.task_update(
        user=city.admins[0], task=task, status=TaskStatus.DONE, progress=100, note="Found one."
    )
    assert Notice.objects.filter(user=city.chair, text__startswith="Task done").exists()
    assert [m.to for m in mail.outbox] == [[city.chair.email], [city.chair.email]]
    # The reporting group's own admin is not told what they just did.
    assert not Notice.objects.filter(user=city.admins[0], text__startswith="Task").exists()


def test_overdue_starts_at_midnight_on_the_plans_clock_and_is_told_once(city: City) -> None:
    plan = open_plan(city)
    task = accepted_task(city, plan, 0, due_on=date(2026, 1, 10))
    evening_in_portland = datetime(2026, 1, 11, 5, 0, tzinfo=UTC)  # 21:00 on the 10th there
    assert not services.is_overdue(task, evening_in_portland)
    assert services.plans_tick(now=evening_in_portland) == {"overdue": 0}
    after_midnight = datetime(2026, 1, 11, 9, 0, tzinfo=UTC)
    assert services.is_overdue(task, after_midnight)
    assert services.plans_tick(now=after_midnight) == {"overdue": 1}
    assert services.plans_tick(now=after_midnight) == {"overdue": 0}
    assert Notice.objects.filter(user=city.chair, text__startswith="Task overdue").count() == 1
    # A new due date can fall overdue again.
    services.task_reassign(
        user=city.chair, task=task, owner_group=city.groups[0], due_on=date(2026, 1, 20)
    )
    assert services.plans_tick(now=datetime(2026, 1, 22, tzinfo=UTC)) == {"overdue": 1}


def test_a_city_plan_counts_towards_its_state_plan(state: State, outsider: User) -> None:
    city = state.city
    city_plan = open_plan(city)
    state_plan = services.plan_open(
        user=state.chair, proposal=adopt(state.assembly, "Community land trusts in every city")
    )
    assert list(services.parent_candidates(city_plan)) == [state_plan]
    with pytest.raises(PermissionDenied):
        services.plan_contribute(user=outsider, plan=city_plan, parent=state_plan)
    services.plan_contribute(user=city.chair, plan=city_plan, parent=state_plan, weight=2)
    assert Notice.objects.filter(user=state.chair, text__contains="now counts towards").exists()
    # The state cannot count towards its own city in turn.
    with pytest.raises((ValidationError, PermissionDenied)):
        services.plan_contribute(user=state.chair, plan=state_plan, parent=city_plan)
    # Either side may end the link; nobody else.
    with pytest.raises(PermissionDenied):
        services.plan_uncontribute(user=outsider, plan=city_plan)
    services.plan_uncontribute(user=state.chair, plan=city_plan)
    city_plan.refresh_from_db()
    assert city_plan.contributes_to is None


def test_it_refuses_a_plan_of_a_coalition_the_organization_is_not_in(
    state: State, places: dict, organizer: User
) -> None:
    # Another city's network, which the Portland coalition does not belong to.
    seattle = coalition_services.coalition_start(
        user=organizer, name="Seattle Commons", level="city", span=places["seattle"]
    )
    other = assembly_services.assembly_open(user=organizer, organization=seattle)
    city_plan = open_plan(state.city)
    stranger = services.plan_open(user=organizer, proposal=adopt(other, "Seattle's own plan"))
    with pytest.raises(ValidationError, match="belongs to"):
        services.plan_contribute(user=state.city.chair, plan=city_plan, parent=stranger)


def test_a_dropped_plan_takes_no_new_tasks(city: City, outsider: User) -> None:
    plan = open_plan(city)
    with pytest.raises(PermissionDenied):
        services.plan_drop(user=outsider, plan=plan, reason="Because.")
    services.plan_drop(user=city.chair, plan=plan, reason="The council did it first.")
    with pytest.raises(ValidationError, match="dropped"):
        services.task_add(user=city.chair, plan=plan, title="x", owner_group=city.groups[0])
