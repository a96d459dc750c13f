"""The assembly story in a real browser, at desktop and phone widths: a city coalition of five
groups holds an assembly; a proposal gathers support, is amended by a neighbour group and the
amendment taken in by its author; put to consent, it is blocked, the block is answered and
lifted, and it passes. An outsider is refused at each step."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from assemblies.models import Proposal, ProposalStatus, Question
from assemblies.tests.conftest import PASSWORD, City, city_coalition
from commonweal.tests import browser as shared_browser
from places.models import Place

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
        wide = self.page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        assert wide == [], wide
        return True


@pytest.fixture
def city(places: dict[str, Place], member: User) -> City:
    made = city_coalition(places["portland"], member)
    # The story opens the assembly through the pages.
    made.assembly.delete()
    return made


@pytest.mark.parametrize("width", [1280, 360])
def test_a_proposal_with_an_amendment_passes_by_consent_after_a_block_is_answered(
    browser: Any, live_server: Any, city: City, outsider: User, width: int
) -> None:
    base = live_server.url
    slug = city.coalition.slug

    # The coalition's admin opens its assembly.
    chair = Tab(browser, base, city.chair, width)
    chair.go("/assemblies/")
    chair.page.click(f"text=Open the assembly of {city.coalition.name}")
    chair.page.select_option("#id_people", "members")
    chair.page.fill("#id_support_threshold", "2")
    chair.page.fill("#id_description", "Where Portland's groups decide together.")
    chair.page.click("main button:has-text('Open the assembly')")
    chair.page.wait_for_selector("h1:has-text('Assembly of Portland Commons')")
    assert "5 member groups" in chair.page.inner_text("main")
    assert chair.fits()

    # An outsider can read it but cannot propose.
    out = Tab(browser, base, outsider, width)
    assert out.go(f"/assemblies/{slug}/").status == 200
    assert out.page.locator("text=Make a proposal").count() == 0
    assert out.go(f"/assemblies/{slug}/proposals/new/").status == 403

    # A member group's admin proposes; a second group's support brings it to the agenda.
    author = Tab(browser, base, city.admins[0], width)
    author.go(f"/assemblies/{slug}/")
    author.page.click("text=Make a proposal")
    author.page.fill("#id_title", "A community land trust")
    author.page.fill("#id_body", "The coalition founds a community land trust for Portland.")
    author.page.click("main button:has-text('Propose')")
    author.page.wait_for_selector("h1:has-text('A community land trust')")
    assert author.fits()
    proposal = Proposal.objects.get(title="A community land trust")
    supporter = Tab(browser, base, city.admins[2], width)
    supporter.go(f"/assemblies/proposals/{proposal.pk}/")
    supporter.page.click("main button:has-text('Support')")
    supporter.page.wait_for_selector("#proposal-status:has-text('On the agenda')")
    supporter.page.check("input[name=stance][value=for]")
    supporter.page.fill("#id_text", "Land held in common keeps rents down for good.")
    supporter.page.click("main button:has-text('Add your argument')")
    supporter.page.wait_for_selector("#strongest-for li")

    # A neighbour group amends the text; the author sees the change marked and takes it in.
    amender = Tab(browser, base, city.admins[1], width)
    amender.go(f"/assemblies/proposals/{proposal.pk}/")
    amender.page.click("text=Propose an amendment")
    amender.page.fill(
        "#id_text",
        "The coalition founds a community land trust for Portland, with tenants on its board.",
    )
    amender.page.fill("#id_reason", "Those who live there should govern it.")
    amender.page.click("main button:has-text('Propose the amendment')")
    amender.page.wait_for_selector(".diff ins")
    author.go(f"/assemblies/proposals/{proposal.pk}/")
    assert "with tenants on its board." in author.page.inner_text(".diff ins")
    assert author.fits()
    author.page.click("button:has-text('Take it into the text')")
    author.page.wait_for_selector("#proposal-text:has-text('tenants on its board')")
    assert out.go(f"/assemblies/amendments/{proposal.amendments.get().pk}/decide/").status == 405

    # The chair puts it to consent and opens the round.
    chair.go(f"/assemblies/proposals/{proposal.pk}/")
    chair.page.click("text=Put it to a decision")
    chair.page.select_option("#id_method", "consent")
    chair.page.uncheck("#id_hide_results")
    chair.page.click("main button:has-text('Create the question')")
    chair.page.wait_for_selector("h2:has-text('Open the round')")
    assert chair.fits()
    chair.page.click("main button:has-text('Open the round')")
    chair.page.wait_for_selector("#question-state:has-text('Open for votes')")
    question = Question.objects.get(proposal=proposal)

    # One group blocks it, with its reason; the page says the block waits for an answer.
    blocker = Tab(browser, base, city.admins[3], width)
    blocker.go(f"/assemblies/questions/{question.pk}/")
    blocker.page.check("input[name=position][value=block]")
    blocker.page.fill("#id_reason", "Our members cannot be on a board that meets on weekdays.")
    blocker.page.click("main button:has-text('Cast the vote')")
    blocker.page.wait_for_selector("#verdict:has-text('no block answered yet')")
    assert blocker.fits()
    for tab in (author, supporter, amender):
        tab.go(f"/assemblies/questions/{question.pk}/")
        tab.page.check("input[name=position][value=consent]")
        tab.page.click("main button:has-text('Cast the vote')")
        tab.page.wait_for_selector("text=Your vote is counted.")
    assert "Stopped by a block" in author.page.inner_text("#verdict")

    # An outsider can neither vote nor answer.
    assert out.go(f"/assemblies/questions/{question.pk}/").status == 200
    assert out.page.locator("#vote-form").count() == 0
    assert out.page.locator("textarea[name=answer]").count() == 0

    # The author answers the block; the blocking group lifts it and consents.
    author.go(f"/assemblies/questions/{question.pk}/")
    author.page.fill("textarea[name=answer]", "The board will meet on weekday evenings and online.")
    author.page.click("main button:has-text('Answer')")
    author.page.wait_for_selector(".concern-answered")
    blocker.go(f"/assemblies/questions/{question.pk}/")
    assert "Stopped: a block still stands" in blocker.page.inner_text("#verdict")
    blocker.page.check("input[name=position][value=consent]")
    blocker.page.click("main button:has-text('Cast the vote')")
    blocker.page.wait_for_selector("#verdict:has-text('Passing as it stands.')")

    # The chair closes the round: it passed, and the proposal is adopted with its amendment.
    chair.go(f"/assemblies/questions/{question.pk}/")
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Passed.')")
    assert chair.page.inner_text("#consent-counts tr:first-child td") == "4"
    assert chair.fits()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ADOPTED
    assert proposal.body.endswith("with tenants on its board.")
    assert out.go(f"/assemblies/questions/{question.pk}/close/").status == 405
    for tab in (chair, out, author, supporter, amender, blocker):
        tab.context.close()
