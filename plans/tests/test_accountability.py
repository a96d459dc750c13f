"""The accountability page's reads, the plank page's roll-up by level, and the notice an
adoption sends."""

from datetime import UTC, datetime, timedelta

import pytest

from assemblies import services as assembly_services
from assemblies.models import AgendaItem, Meeting, Question
from coalitions.models import Notice
from plans import selectors, services
from plans.tests.conftest import City, State, adopt

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def closed_round(city: City, title: str, at: datetime, *, passed: bool = True) -> Question:
    proposal = adopt(city.assembly, title) if passed else None
    return Question.objects.create(
        assembly=city.assembly,
        proposal=proposal,
        title=title,
        method="majority" if proposal else "approval",
        state="closed",
        result={"passed": passed},
        closes_at=at,
    )


def room_decision(city: City, title: str, at: datetime, text: str) -> AgendaItem:
    meeting = Meeting.objects.create(assembly=city.assembly, title="General meeting", starts_at=at)
    return AgendaItem.objects.create(meeting=meeting, title=title, decision=text)


def test_it_lists_every_decision_newest_first_with_what_became_of_it(city: City) -> None:
    nothing = closed_round(city, "Adopt the tenants' charter", T0)
    planned = closed_round(city, "Adopt the land trust", T0 + timedelta(days=1))
    dropped = closed_round(city, "Adopt the bus pass", T0 + timedelta(days=2))
    room = room_decision(city, "Hall booking", T0 + timedelta(days=3), "We meet at the library.")
    election = closed_round(city, "Elect the treasurer", T0 + timedelta(days=4), passed=False)
    assert planned.proposal is not None and dropped.proposal is not None
    plan = services.plan_open(user=city.chair, proposal=planned.proposal)
    task = services.task_add(
        user=city.chair, plan=plan, title="Find land", owner_group=city.groups[0]
    )
    services.task_respond(user=city.admins[0], task=task, accept=True)
    services.task_update(
        user=city.admins[0], task=task, status="doing", progress=30, note="Two lots."
    )
    gone = services.plan_open(user=city.chair, proposal=dropped.proposal)
    services.plan_drop(user=city.chair, plan=gone, reason="The city made passes free.")

    rows = selectors.accountability_page(city.assembly).rows
    assert [(d.kind, d.pk) for d in rows] == [
        ("question", election.pk),
        ("meeting", room.pk),
        ("question", dropped.pk),
        ("question", planned.pk),
        ("question", nothing.pk),
    ]
    assert [d.outcome for d in rows] == ["result", "result", "dropped", "progress", "no-plan"]
    assert rows[3].total == pytest.approx(30)


def test_it_pages_by_key_across_rounds_and_meetings(city: City) -> None:
    for i in range(40):
        closed_round(city, f"Round {i}", T0 + timedelta(hours=i))
        room_decision(city, f"Item {i}", T0 + timedelta(hours=i), "Agreed.")
    seen: list[tuple[str, int]] = []
    after = None
    while True:
        page = selectors.accountability_page(city.assembly, after=after)
        seen += [(d.kind, d.pk) for d in page.rows]
        if not page.next_after:
            break
        after = page.next_after
    assert len(seen) == 80 and len(set(seen)) == 80
    # At the same moment a round comes before the meeting's record.
    assert seen[0][0] == "question" and seen[1][0] == "meeting"


def test_a_bad_key_reads_the_first_page(city: City) -> None:
    closed_round(city, "Round", T0)
    assert len(selectors.accountability_page(city.assembly, after="nonsense|x|y").rows) == 1


def test_progress_by_level_rolls_up_a_planks_adoptions(state: State) -> None:
    city = state.city
    city_decision = adopt(city.assembly, "Land trust for Portland")
    state_decision = adopt(state.assembly, "Land trusts in every city")
    unplanned = adopt(city.assembly, "Land trust, second try")
    city_plan = services.plan_open(user=city.chair, proposal=city_decision)
    state_plan = services.plan_open(user=state.chair, proposal=state_decision)
    task = services.task_add(
        user=city.chair, plan=city_plan, title="Buy", owner_group=city.groups[0]
    )
    services.task_respond(user=city.admins[0], task=task, accept=True)
    services.task_update(
        user=city.admins[0], task=task, status="done", progress=100, note="Bought."
    )
    services.plan_contribute(user=city.chair, plan=city_plan, parent=state_plan)

    rows = selectors.progress_by_level([city_decision, state_decision, unplanned.pk])
    by_level = {r.level: r for r in rows}
    assert [r.level for r in rows] == ["city", "state", "all"]
    assert (by_level["city"].decisions, by_level["city"].with_plan) == (2, 1)
    assert by_level["city"].percent == pytest.approx(100)
    # The state plan has no tasks of its own: its progress is its city's.
    assert by_level["state"].percent == pytest.approx(100)
    assert by_level["all"].decisions == 3 and by_level["all"].without_plan == 1


def test_adoption_in_a_meeting_tells_the_assemblys_admins_to_plan_it(city: City) -> None:
    proposal = assembly_services.proposal_submit(
        user=city.admins[0], assembly=city.assembly, title="Tool library", body="Lend tools."
    )
    meeting = Meeting.objects.create(assembly=city.assembly, title="General", starts_at=T0)
    item = AgendaItem.objects.create(meeting=meeting, title="Tool library", proposal=proposal)
    assembly_services.agenda_decision_record(
        user=city.chair, item=item, decision="Adopted by acclamation.", adopted=True
    )
    notice = Notice.objects.get(user=city.chair, url=f"/plans/decisions/{proposal.pk}/")
    assert notice.text.startswith("Adopted: Tool library")


def test_a_round_closed_early_is_dated_by_when_it_closed(city: City) -> None:
    from django.utils import timezone

    from assemblies.models import Method

    # Scheduled to close in a week; an earlier room decision is dated yesterday.
    room = room_decision(
        city, "Hall booking", timezone.now() - timedelta(days=1), "We meet at the library."
    )
    proposal = assembly_services.proposal_submit(
        user=city.admins[0], assembly=city.assembly, title="Tool library", body="Lend tools."
    )
    question = assembly_services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Adopt the tool library?",
        method=Method.MAJORITY,
        proposal=proposal,
        hide_results=False,
    )
    assembly_services.question_open(
        user=city.chair, question=question, closes_at=timezone.now() + timedelta(days=7)
    )
    assembly_services.ballot_cast(user=city.chair, question=question, content={"position": "yes"})
    before = timezone.now()
    assembly_services.question_close(user=city.chair, question=question)

    question.refresh_from_db()
    assert question.decided_at is not None and before <= question.decided_at <= timezone.now()
    rows = selectors.accountability_page(city.assembly).rows
    assert [(d.kind, d.pk) for d in rows] == [("question", question.pk), ("meeting", room.pk)]
    assert rows[0].at == question.decided_at
