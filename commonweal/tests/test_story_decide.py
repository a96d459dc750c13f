"""Issue 13's story in a real browser, at desktop and phone widths, as a new user would try it:
a city coalition of five groups opens its assembly; a proposal is amended, blocked, the block
answered, and it passes by consent; the coalition elects two delegates to the state network by
STV; three city assemblies endorse a state plank and the state assembly adopts it by a double
majority of people and member groups (the city's vote cast by its delegate); the coalition
recalls that delegate and the next in line takes the seat; the state opens a plan for the plank
and a city does its task; the plank's page shows the endorsements on the map and the plan's
progress. After every step an outsider, in a browser of their own, tries the same door in the
page and by a hand-made POST, and is refused.

Drives Debian's Chromium through Playwright (commonweal.tests.browser) and skips where it is
not installed. The per-app stories (assemblies, delegates, programs, plans) test each part in
more detail; this one walks them end to end on the same coalitions.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import User
from assemblies import services as assembly_services
from assemblies.models import (
    Ballot,
    Delegate,
    DelegateStatus,
    Election,
    Proposal,
    ProposalStatus,
    Question,
)
from assemblies.tests.conftest import City, city_coalition
from coalitions import services as coalition_services
from coalitions.models import Membership, MembershipStatus
from commonweal.tests import browser as shared_browser
from directory.models import Organization
from places.models import Place
from plans.models import Plan, Task, TaskStatus
from programs.models import Endorsement, Plank, PlankStatus
from programs.tests.conftest import _more_oregon
from programs.tests.test_browser import Tab as ProgramTab
from programs.tests.test_browser import _close, _decide, _vote_yes

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password
REFUSED = (403, 404)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


class Tab(ProgramTab):
    """A signed-in tab that can also send what a hand-made form would, CSRF token and all."""

    def __init__(self, browser: Any, base: str, user: User, width: int) -> None:
        super().__init__(browser, base, user, width)
        # Map tiles come from the internet and are not part of the story.
        self.page.route(
            "**/*.png",
            lambda route: (
                route.abort() if "/static/" not in route.request.url else route.continue_()
            ),
        )

    def post(self, path: str, data: dict[str, str] | None = None) -> int:
        token = next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")
        response = self.page.request.post(
            self.base + path, form=data or {}, headers={"X-CSRFToken": token}, max_redirects=0
        )
        return int(response.status)


@dataclass
class World:
    city: City  # Portland Commons: five member groups, its chair and the groups' admins
    state: Organization
    state_chair: User
    cities: list[Organization]  # Eugene and Salem Commons, the other city coalitions
    city_chairs: list[User]


@pytest.fixture
def world(places: dict[str, Place], member: User) -> World:
    """Who is on the hub when the story starts: Portland's coalition of five groups (its
    assembly is opened in the story), two more city coalitions with assemblies, and a state
    network whose members are the three cities."""
    places = _more_oregon(places)
    city = city_coalition(places["portland"], member)
    city.assembly.delete()
    state_chair = User.objects.create_user(
        "oregon@example.org", PASSWORD, display_name="Oregon chair"
    )
    state = coalition_services.coalition_start(
        user=state_chair, name="Oregon Network", level="state", span=places["oregon"]
    )
    assembly_services.assembly_open(user=state_chair, organization=state, support_threshold=1)
    cities, chairs = [], []
    for name in ("Eugene", "Salem"):
        chair = User.objects.create_user(
            f"{name.lower()}@example.org", PASSWORD, display_name=f"{name} chair"
        )
        coalition = coalition_services.coalition_start(
            user=chair, name=f"{name} Commons", level="city", span=places[name.lower()]
        )
        assembly_services.assembly_open(user=chair, organization=coalition, support_threshold=1)
        cities.append(coalition)
        chairs.append(chair)
    for coalition in [city.coalition, *cities]:
        Membership.objects.create(coalition=state, member=coalition, status=MembershipStatus.ACTIVE)
    return World(city, state, state_chair, cities, chairs)


@pytest.mark.parametrize("width", [1280, 360])
def test_a_city_decides_elects_endorses_recalls_and_follows_its_plank(
    browser: Any, live_server: Any, world: World, outsider: User, width: int
) -> None:
    base = live_server.url
    city = world.city
    slug = city.coalition.slug
    a = city.admins
    out = Tab(browser, base, outsider, width)

    # 1. The coalition's admin opens its assembly; the outsider may not open it for them.
    assert out.go(f"/assemblies/{slug}/open/").status in REFUSED
    chair = Tab(browser, base, city.chair, width)
    chair.go("/assemblies/")
    chair.page.click(f"text=Open the assembly of {city.coalition.name}")
    chair.page.select_option("#id_people", "members")
    chair.page.fill("#id_support_threshold", "1")
    chair.page.click("main button:has-text('Open the assembly')")
    chair.page.wait_for_selector("h1:has-text('Assembly of Portland Commons')")
    assert "5 member groups" in chair.page.inner_text("main")
    assert chair.fits()

    # 2. A member group proposes; a neighbour group amends; the author takes it in.
    assert out.go(f"/assemblies/{slug}/proposals/new/").status == 403
    author = Tab(browser, base, a[0], width)
    author.go(f"/assemblies/{slug}/")
    author.page.click("text=Make a proposal")
    author.page.fill("#id_title", "A community land trust")
    author.page.fill("#id_body", "The coalition founds a community land trust for Portland.")
    author.page.click("main button:has-text('Propose')")
    author.page.wait_for_selector("h1:has-text('A community land trust')")
    proposal = Proposal.objects.get(title="A community land trust")
    amender = Tab(browser, base, a[1], width)
    amender.go(f"/assemblies/proposals/{proposal.pk}/")
    amender.page.click("text=Propose an amendment")
    amender.page.fill(
        "#id_text",
        "The coalition founds a community land trust for Portland, with tenants on its board.",
    )
    amender.page.fill("#id_reason", "Those who live there should govern it.")
    amender.page.click("main button:has-text('Propose the amendment')")
    amender.page.wait_for_selector(".diff ins")
    amendment = proposal.amendments.get()
    assert out.post(f"/assemblies/proposals/{proposal.pk}/amend/", {"text": "Mine."}) in REFUSED
    assert out.post(f"/assemblies/amendments/{amendment.pk}/decide/", {"action": "accept"}) in (
        REFUSED
    )
    author.go(f"/assemblies/proposals/{proposal.pk}/")
    author.page.click("button:has-text('Take it into the text')")
    author.page.wait_for_selector("#proposal-text:has-text('tenants on its board')")
    assert author.fits()

    # 3. Put to consent: one group blocks, the author answers, the group lifts it; it passes.
    chair.go(f"/assemblies/proposals/{proposal.pk}/")
    chair.page.click("text=Put it to a decision")
    chair.page.select_option("#id_method", "consent")
    chair.page.uncheck("#id_hide_results")
    chair.page.click("main button:has-text('Create the question')")
    chair.page.click("main button:has-text('Open the round')")
    chair.page.wait_for_selector("#question-state:has-text('Open for votes')")
    question = Question.objects.get(proposal=proposal)
    consent = f"/assemblies/questions/{question.pk}/"
    blocker = Tab(browser, base, a[3], width)
    blocker.go(consent)
    blocker.page.check("input[name=position][value=block]")
    blocker.page.fill("#id_reason", "Our members cannot be on a board that meets on weekdays.")
    blocker.page.click("main button:has-text('Cast the vote')")
    blocker.page.wait_for_selector("#verdict:has-text('no block answered yet')")
    for tab in (author, amender):
        tab.go(consent)
        tab.page.check("input[name=position][value=consent]")
        tab.page.click("main button:has-text('Cast the vote')")
        tab.page.wait_for_selector("text=Your vote is counted.")
    out.go(consent)
    assert out.page.locator("#vote-form").count() == 0
    assert out.page.locator("textarea[name=answer]").count() == 0
    assert out.post(f"{consent}vote/", {"position": "consent"}) in REFUSED
    author.go(consent)
    author.page.fill("textarea[name=answer]", "The board will meet on weekday evenings and online.")
    author.page.click("main button:has-text('Answer')")
    author.page.wait_for_selector(".concern-answered")
    blocker.go(consent)
    assert "Stopped: a block still stands" in blocker.page.inner_text("#verdict")
    blocker.page.check("input[name=position][value=consent]")
    blocker.page.click("main button:has-text('Cast the vote')")
    blocker.page.wait_for_selector("#verdict:has-text('Passing as it stands.')")
    assert out.post(f"{consent}close/") in REFUSED
    chair.go(consent)
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Passed.')")
    assert chair.fits()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ADOPTED
    assert proposal.body.endswith("with tenants on its board.")

    # 4. The coalition elects two delegates to the state network by STV.
    assert out.go(f"/assemblies/{slug}/delegates/").status == 403
    refused = out.post(
        f"/assemblies/{slug}/delegates/elect/",
        {"coalition": str(world.state.pk), "seats": "2", "candidates": str(outsider.pk)},
    )
    assert refused in REFUSED
    chair.go(f"/assemblies/{slug}/delegates/")
    chair.page.select_option("#elect-form #id_coalition", str(world.state.pk))
    chair.page.fill("#elect-form #id_seats", "2")
    for person in a[:3]:
        chair.page.check(f"#elect-form label:has-text('{person.display_name}') input")
    chair.page.click("main button:has-text('Open the election')")
    chair.page.wait_for_selector("h1:has-text('Delegates of Portland Commons to Oregon Network')")
    assert chair.fits()
    election = Election.objects.get()
    option = {c.user_id: c.option_id for c in election.candidates.all()}
    ballot = f"/assemblies/questions/{election.question_id}/"
    for tab, ranking in ((author, [a[0], a[1]]), (amender, [a[1], a[0]])):
        tab.go(ballot)
        for rank, person in enumerate(ranking, start=1):
            tab.page.fill(f"#id_rank_{option[person.pk]}", str(rank))
        tab.page.click("main button:has-text('Cast the vote')")
        tab.page.wait_for_selector("text=Your vote is counted.")
    # The other three groups' ballots are not what the story shows.
    for voter, ranking in ((a[2], [a[0], a[2]]), (a[3], [a[2], a[1]]), (a[4], [a[1], a[0]])):
        assembly_services.ballot_cast(
            user=voter,
            question=election.question,
            content={"ranking": [[str(option[p.pk])] for p in ranking]},
        )
    out.go(ballot)
    assert out.page.locator("#vote-form").count() == 0
    chair.go(ballot)
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Chosen:')")
    chair.go(f"/assemblies/{slug}/delegates/")
    seat = f"#coalition-{world.state.pk}"
    serving = chair.page.inner_text(f"{seat} .delegate-list")
    assert "Admin 0" in serving and "Admin 1" in serving
    chair.page.check(f"{seat} input[name=votes_by_delegates]")
    chair.page.click(f"{seat} .delegation-form button:has-text('Save')")
    chair.page.wait_for_selector(f"{seat}:has-text('Our delegates cast our vote there.')")
    delegate = Delegate.objects.get(user=a[0], status=DelegateStatus.ACTIVE)

    # 5. The state network proposes a plank; three city assemblies endorse it by their own
    # decisions, from the plank's page.
    state = Tab(browser, base, world.state_chair, width)
    state.go(f"/programs/{world.state.slug}/")
    state.page.click("text=Propose a plank")
    state.page.fill("#id_title", "A public bank for Oregon")
    state.page.select_option("#id_kind", "institution")
    state.page.fill("#id_text", "Oregon founds a public bank that lends to co-ops and housing.")
    state.page.click("main button:has-text('Propose the plank')")
    state.page.wait_for_selector("h1:has-text('A public bank for Oregon')")
    plank = Plank.objects.get()
    assert out.go(f"/programs/{world.state.slug}/planks/new/").status == 403
    out.go(f"/programs/planks/{plank.pk}/")
    assert out.page.locator("text=Endorse this plank").count() == 0
    endorse = f"/programs/planks/{plank.pk}/endorse/"
    assert out.post(endorse, {"assembly": str(city.coalition.assembly.pk)}) in REFUSED
    city_tabs = [chair] + [Tab(browser, base, u, width) for u in world.city_chairs]
    for tab in city_tabs:
        tab.go(f"/programs/planks/{plank.pk}/")
        tab.page.click("main button:has-text('Propose the endorsement')")
        tab.page.wait_for_selector("h1:has-text('Endorse the plank')")
        motion = Proposal.objects.filter(plank_motion__plank=plank).latest("id")
        decided = _decide(tab, motion)
        _vote_yes(tab, decided)
        _close(tab, decided)
    assert Endorsement.objects.filter(plank=plank).count() == 3
    assert chair.fits()

    # 6. The state assembly adopts it by a double majority of people and member groups:
    # Portland's vote is cast by its delegate, the other cities' by their admins.
    vote = _decide(state, plank.proposal, double_majority=True)
    delegate_tab = author  # Admin 0, now Portland's delegate
    delegate_tab.go(f"/assemblies/questions/{vote}/")
    card = f"#seat-{city.coalition.pk}"
    delegate_tab.page.check(f"{card} input[value=yes]")
    delegate_tab.page.click(f"{card} button[type=submit]")
    delegate_tab.page.wait_for_selector(f"{card} .standing-vote:has-text('Yes')")
    assert delegate_tab.fits()
    for tab, coalition in zip(city_tabs[1:], world.cities, strict=True):
        _vote_yes(tab, vote, group=coalition.name)
    _vote_yes(state, vote)
    out.go(f"/assemblies/questions/{vote}/")
    assert out.page.locator("#vote-form").count() == 0
    assert out.page.locator(card).count() == 0
    group_vote = f"/assemblies/questions/{vote}/delegate-vote/{city.coalition.pk}/"
    assert out.post(group_vote, {"position": "no"}) in REFUSED
    _close(state, vote)
    assert "Yes 3" in state.page.inner_text("#tally-groups")
    assert state.fits()
    plank.refresh_from_db()
    assert plank.status == PlankStatus.ADOPTED
    assert Ballot.objects.get(question_id=vote, organization=city.coalition).voter == a[0]

    # 7. Portland recalls its delegate by its assembly's vote; the next in line takes the seat.
    record = f"/assemblies/delegates/{delegate.pk}/"
    assert out.go(record).status == 403
    assert out.post(f"{record}recall/", {"how": "record", "reason": "Mine."}) in REFUSED
    chair.go(record)
    chair.page.check("#recall-form input[value=vote]")
    chair.page.fill("#recall-form #id_reason", "We want a delegate who attends every meeting.")
    chair.page.click("main button:has-text('Recall')")
    chair.page.wait_for_selector("h1:has-text('Recall Admin 0 as delegate to Oregon Network?')")
    recall = Delegate.objects.get(pk=delegate.pk).recall_question
    assert recall is not None
    for voter in a[1:4]:
        assembly_services.ballot_cast(user=voter, question=recall, content={"position": "yes"})
    chair.page.reload()
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Passed.')")
    chair.go(record)
    chair.page.wait_for_selector("#delegate-status:has-text('Recalled')")
    assert "took the seat." in chair.page.inner_text("#recall")
    assert chair.fits()
    assert Delegate.objects.filter(status=DelegateStatus.ACTIVE, replaces=delegate).exists()

    # 8. The state opens the plank's plan; Eugene owns a task and reports it done.
    state.go(f"/plans/decisions/{plank.proposal_id}/")
    state.page.click("main button:has-text('Open the plan')")
    state.page.wait_for_selector("h1:has-text('A public bank for Oregon')")
    plan = Plan.objects.get(proposal_id=plank.proposal_id)
    state.page.fill("#id_title", "Write the charter")
    state.page.select_option("#id_owner_group", str(world.cities[0].pk))
    state.page.fill("#id_due_on", "2030-06-30")
    state.page.click("main button:has-text('Add the task')")
    state.page.wait_for_selector("#task-list :text('Write the charter')")
    assert state.fits()
    task = Task.objects.get(plan=plan)
    out.go(f"/plans/{plan.pk}/")
    assert out.page.locator("#task-form").count() == 0
    assert out.post(f"/plans/{plan.pk}/tasks/new/", {"title": "Mine"}) in REFUSED
    update = {"status": "done", "progress": "100", "note": "Mine."}
    assert out.post(f"/plans/tasks/{task.pk}/update/", update) in REFUSED
    eugene = city_tabs[1]
    eugene.go(f"/plans/tasks/{task.pk}/")
    eugene.page.click("main button:has-text('Accept the task')")
    eugene.page.select_option("#id_status", "done")
    eugene.page.fill("#id_note", "The charter is written and filed.")
    eugene.page.click("main button:has-text('Save the update')")
    eugene.page.wait_for_selector("#task-status:has-text('Done')")
    assert eugene.fits()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE

    # 9. Anyone, the outsider too, sees the plank's endorsements on the map and its plan's
    # progress by level.
    out.go(f"/programs/planks/{plank.pk}/")
    assert "3 assemblies endorse it, in 3 places." in out.page.inner_text("main")
    out.page.wait_for_selector("#endorsements-map[data-markers='3']", state="attached")
    state_row = out.page.inner_text("#progress-levels li[data-level='state']")
    assert "Progress: 100%" in state_row
    city_row = out.page.inner_text("#progress-levels li[data-level='city']")
    assert "nothing counted yet" in city_row
    assert out.fits()
    for tab in {
        id(t): t for t in (out, chair, author, amender, blocker, state, *city_tabs)
    }.values():
        tab.context.close()
