"""The plan pages: the normal case, the wrong method, and outsiders refused at every step."""

import pytest
from django.test import Client

from accounts.models import User
from plans import services
from plans.models import Plan, Task, TaskStatus
from plans.tests.conftest import City, State, adopt

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_an_admin_opens_a_plan_from_the_decisions_page(city: City, outsider: User) -> None:
    proposal = adopt(city.assembly, "Rent strike fund")
    page = client_for(outsider).get(f"/plans/decisions/{proposal.pk}/")
    assert page.status_code == 200
    assert "no plan yet" in page.content.decode()
    assert "Open the plan" not in page.content.decode()
    assert client_for(outsider).post(f"/plans/decisions/{proposal.pk}/", {}).status_code == 403
    assert (
        client_for(city.admins[0]).post(f"/plans/decisions/{proposal.pk}/", {}).status_code == 403
    )
    chair = client_for(city.chair)
    assert "Open the plan" in chair.get(f"/plans/decisions/{proposal.pk}/").content.decode()
    made = chair.post(
        f"/plans/decisions/{proposal.pk}/",
        {"title": "Rent strike fund", "summary": "", "time_zone": "America/Los_Angeles"},
    )
    plan = Plan.objects.get(proposal=proposal)
    assert made.status_code == 302 and made["Location"] == f"/plans/{plan.pk}/"
    # Once it has a plan, the decision's address leads there.
    assert client_for(outsider).get(f"/plans/decisions/{proposal.pk}/")["Location"] == (
        f"/plans/{plan.pk}/"
    )


def test_the_plan_and_task_pages_let_each_side_do_its_part(city: City, outsider: User) -> None:
    plan = services.plan_open(user=city.chair, proposal=adopt(city.assembly, "Land trust"))
    chair = client_for(city.chair)
    assert client_for(outsider).post(f"/plans/{plan.pk}/").status_code == 405
    assert client_for(outsider).get(f"/plans/{plan.pk}/tasks/new/").status_code == 405
    task_data = {"title": "Find land", "owner_group": city.groups[0].pk, "due_on": "", "weight": 1}
    assert client_for(outsider).post(f"/plans/{plan.pk}/tasks/new/", task_data).status_code == 403
    assert client_for(None).post(f"/plans/{plan.pk}/tasks/new/", task_data).status_code == 302
    assert not Task.objects.exists()
    chair.post(f"/plans/{plan.pk}/tasks/new/", task_data)
    task = Task.objects.get()
    assert "Find land" in client_for(outsider).get(f"/plans/{plan.pk}/").content.decode()

    owner = client_for(city.admins[0])
    assert "Accept the task" in owner.get(f"/plans/tasks/{task.pk}/").content.decode()
    other_group = client_for(city.admins[1])
    assert "Accept the task" not in other_group.get(f"/plans/tasks/{task.pk}/").content.decode()
    respond = {"answer": "accept", "note": ""}
    assert other_group.post(f"/plans/tasks/{task.pk}/respond/", respond).status_code == 403
    owner.post(f"/plans/tasks/{task.pk}/respond/", respond)
    update = {"status": "done", "progress": 100, "note": "Two lots bought."}
    for refused in (other_group, client_for(outsider), chair):
        assert refused.post(f"/plans/tasks/{task.pk}/update/", update).status_code == 403
    owner.post(f"/plans/tasks/{task.pk}/update/", update)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert (
        "Two lots bought." in client_for(outsider).get(f"/plans/tasks/{task.pk}/").content.decode()
    )
    assert (
        client_for(outsider).post(f"/plans/tasks/{task.pk}/drop/", {"note": "x"}).status_code == 403
    )
    assert owner.post(f"/plans/tasks/{task.pk}/drop/", {"note": "x"}).status_code == 403
    reassign = {"owner_group": city.groups[1].pk, "due_on": ""}
    assert owner.post(f"/plans/tasks/{task.pk}/reassign/", reassign).status_code == 403
    assert client_for(outsider).post(f"/plans/{plan.pk}/drop/", {"reason": "x"}).status_code == 403


def test_linking_levels_is_refused_to_outsiders(state: State, outsider: User) -> None:
    city = state.city
    city_plan = services.plan_open(user=city.chair, proposal=adopt(city.assembly, "Land trust"))
    state_plan = services.plan_open(user=state.chair, proposal=adopt(state.assembly, "Trusts"))
    data = {"parent": state_plan.pk, "weight": 1}
    assert client_for(outsider).post(f"/plans/{city_plan.pk}/contribute/", data).status_code == 403
    assert (
        client_for(state.chair).post(f"/plans/{city_plan.pk}/contribute/", data).status_code == 403
    )
    client_for(city.chair).post(f"/plans/{city_plan.pk}/contribute/", data)
    city_plan.refresh_from_db()
    assert city_plan.contributes_to == state_plan
    page = client_for(outsider).get(f"/plans/{state_plan.pk}/").content.decode()
    assert "Plans that count towards this one" in page
    assert client_for(outsider).post(f"/plans/{city_plan.pk}/uncontribute/").status_code == 403


def test_the_accountability_page_is_public_unless_the_listing_is_hidden(
    city: City, outsider: User
) -> None:
    slug = city.coalition.slug
    page = client_for(outsider).get(f"/plans/accountability/{slug}/")
    assert page.status_code == 200
    assert "has not decided anything yet" in page.content.decode()
    assert client_for(outsider).post(f"/plans/accountability/{slug}/").status_code == 405
    proposal = adopt(city.assembly, "Land trust")
    plan = services.plan_open(user=city.chair, proposal=proposal)
    city.coalition.is_hidden = True
    city.coalition.save()
    for path in (
        f"/plans/accountability/{slug}/",
        f"/plans/{plan.pk}/",
        f"/plans/decisions/{proposal.pk}/",
    ):
        assert client_for(outsider).get(path).status_code == 404
    assert client_for(city.chair).get(f"/plans/{plan.pk}/").status_code == 200


def test_the_plan_page_marks_overdue_tasks_and_says_dropped_ones_are_not_counted(
    city: City, outsider: User
) -> None:
    from datetime import date

    plan = services.plan_open(user=city.chair, proposal=adopt(city.assembly, "Land trust"))
    late = services.task_add(
        user=city.chair,
        plan=plan,
        title="Late task",
        owner_group=city.groups[0],
        due_on=date(2020, 1, 1),
    )
    dropped = services.task_add(
        user=city.chair, plan=plan, title="Gone", owner_group=city.groups[1]
    )
    services.task_drop(user=city.chair, task=dropped, note="Not needed.")
    page = client_for(outsider).get(f"/plans/{plan.pk}/").content.decode()
    row = page[page.index(f'id="task-{late.pk}"') :]
    assert "Overdue" in row[: row.index("</li>")]
    assert "1 dropped task is not counted" in page


def test_the_accountability_page_follows_its_older_link_to_the_next_page(
    city: City, outsider: User
) -> None:
    import re
    from datetime import UTC, datetime, timedelta

    from assemblies.models import Question

    for i in range(35):
        Question.objects.create(
            assembly=city.assembly,
            title=f"Round number {i}",
            method="approval",
            state="closed",
            result={},
            closes_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i),
        )
    client = client_for(outsider)
    first = client.get(f"/plans/accountability/{city.coalition.slug}/").content.decode()
    assert first.count('class="result decision"') == 30
    link = re.search(r'id="more-decisions"><a class="button button-quiet" href="([^"]+)"', first)
    assert link is not None
    older = client.get(
        f"/plans/accountability/{city.coalition.slug}/" + link.group(1).replace("&amp;", "&")
    ).content.decode()
    assert older.count('class="result decision"') == 5
    assert "Round number 4<" in older and "Round number 5<" not in older
