"""The plans story in a real browser, at desktop and phone widths: an adopted proposal becomes a
plan with two tasks owned by two member groups; one group accepts and marks its task done; the
city plan counts towards the state plan; the state's accountability page shows the decision and
its progress. An outsider is refused at each step."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from accounts.models import User
from assemblies.models import Question
from assemblies.tests.conftest import city_coalition
from commonweal.tests import browser as shared_browser
from places.models import Place
from plans.models import Plan, Task, TaskStatus
from plans.tests.conftest import PASSWORD, State, adopt, state_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


class Tab:
    """One person's signed-in tab at the test's width."""

    def __init__(self, browser: Any, base: str, user: User, width: int) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("#id_username", user.email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button:has-text('Sign in')")
        self.page.wait_for_selector("button:has-text('Sign out')", state="attached")

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def fits(self) -> bool:
        """Nothing to scroll sideways for: the page works on a phone."""
        self.page.wait_for_load_state("load")
        wide = self.page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        assert wide == [], wide
        return True


def decided(assembly: Any, title: str) -> Any:
    """A proposal the assembly adopted by a vote that closed."""
    proposal = adopt(assembly, title)
    Question.objects.create(
        assembly=assembly,
        proposal=proposal,
        title=f"Adopt: {title}",
        method="majority",
        state="closed",
        result={"passed": True},
        closes_at=datetime(2026, 3, 1, 18, tzinfo=UTC),
    )
    return proposal


@pytest.fixture
def state(places: dict[str, Place], member: User) -> State:
    return state_network(places, city_coalition(places["portland"], member))


@pytest.mark.parametrize("width", [1280, 360])
def test_an_adopted_decision_becomes_a_plan_whose_progress_reaches_the_state(
    browser: Any, live_server: Any, state: State, outsider: User, width: int
) -> None:
    base = live_server.url
    city = state.city
    city_decision = decided(city.assembly, "A community land trust for Portland")
    state_decision = decided(state.assembly, "A community land trust in every city")

    # The city coalition's admin opens the plan from the decision's page.
    chair = Tab(browser, base, city.chair, width)
    chair.go(f"/assemblies/proposals/{city_decision.pk}/")
    chair.page.click("#plan-link")
    chair.page.wait_for_selector("#no-plan")
    assert chair.fits()
    chair.page.fill("#id_summary", "Find land, then found the trust with tenants on its board.")
    chair.page.click("main button:has-text('Open the plan')")
    chair.page.wait_for_selector("h1:has-text('A community land trust for Portland')")
    plan = Plan.objects.get(proposal=city_decision)

    # Two tasks, owned by two member groups.
    for title, group in (("Find two lots", city.groups[0]), ("Draft the bylaws", city.groups[1])):
        chair.page.fill("#id_title", title)
        chair.page.select_option("#id_owner_group", str(group.pk))
        chair.page.fill("#id_due_on", "2030-06-30")
        chair.page.click("main button:has-text('Add the task')")
        chair.page.wait_for_selector(f"#task-list :text('{title}')")
    assert chair.fits()

    # An outsider reads the plan but may not touch it.
    out = Tab(browser, base, outsider, width)
    out.go(f"/plans/{plan.pk}/")
    assert out.page.locator("#task-form").count() == 0
    lots = Task.objects.get(title="Find two lots")
    out.go(f"/plans/tasks/{lots.pk}/")
    assert out.page.locator("#respond-form, #update-form").count() == 0
    assert out.go(f"/plans/tasks/{lots.pk}/update/").status == 405

    # The second group cannot answer for the first; the first accepts and reports it done.
    other = Tab(browser, base, city.admins[1], width)
    other.go(f"/plans/tasks/{lots.pk}/")
    assert other.page.locator("#respond-form").count() == 0
    owner = Tab(browser, base, city.admins[0], width)
    owner.go(f"/plans/tasks/{lots.pk}/")
    owner.page.click("main button:has-text('Accept the task')")
    owner.page.wait_for_selector("#update-form")
    owner.page.select_option("#id_status", "done")
    owner.page.fill("#id_note", "Two lots on Alberta Street, bought by the trust.")
    owner.page.click("main button:has-text('Save the update')")
    owner.page.wait_for_selector("#task-status:has-text('Done')")
    assert "Alberta Street" in owner.page.inner_text("#history")
    assert owner.fits()
    lots.refresh_from_db()
    assert lots.status == TaskStatus.DONE

    # The state network's admin opens the state plan.
    state_chair = Tab(browser, base, state.chair, width)
    state_chair.go(f"/plans/decisions/{state_decision.pk}/")
    state_chair.page.click("main button:has-text('Open the plan')")
    state_chair.page.wait_for_selector("h1:has-text('A community land trust in every city')")
    state_plan = Plan.objects.get(proposal=state_decision)

    # The city plan counts towards it; one of its two tasks is done: 50%.
    chair.go(f"/plans/{plan.pk}/")
    assert "50%" in chair.page.inner_text("#own-progress")
    chair.page.select_option("#id_parent", str(state_plan.pk))
    chair.page.click("main button:has-text('Count towards it')")
    chair.page.wait_for_selector("#contributes-to")
    state_chair.go(f"/plans/{state_plan.pk}/")
    assert "50%" in state_chair.page.inner_text("#total-progress")
    assert "Portland Commons" in state_chair.page.inner_text("#contributions")
    assert state_chair.fits()

    # The state's accountability page shows the decision and its progress, to anyone.
    out.go(f"/assemblies/{state.coalition.slug}/")
    out.page.click("#accountability-link")
    out.page.wait_for_selector("#decisions")
    row = out.page.inner_text(f"#decision-question-{state_decision.questions.get().pk}")
    assert "Adopt: A community land trust in every city" in row
    assert "50%" in row
    assert out.fits()
    for tab in (chair, out, other, owner, state_chair):
        tab.context.close()
