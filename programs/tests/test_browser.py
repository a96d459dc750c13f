"""The program story in a real browser, at desktop and phone widths: the Oregon state network
proposes a plank; three of Oregon's four city assemblies each propose and adopt "endorse this
plank" through their own pages; the state assembly adopts the plank by a double majority of
people and member groups; the plank page shows the three endorsements on the map and rolled up
by state. An outsider is refused at each step."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from assemblies.models import Proposal, ProposalStatus
from assemblies.tests.test_browser import Tab as AssemblyTab
from commonweal.tests import browser as shared_browser
from programs.models import Endorsement, Plank, PlankStatus
from programs.tests.conftest import Network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


class Tab(AssemblyTab):
    def fits(self) -> bool:
        """Nothing to scroll sideways for. The map's own panes are cut to its box, so they are
        left out; the page itself must not be wider than the window."""
        self.page.wait_for_load_state("load")
        wide = self.page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => !e.closest('.leaflet-container'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        assert wide == [], wide
        scroll = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= self.page.viewport_size["width"] + 1, scroll
        return True


def _decide(chair: Tab, proposal: Proposal, *, double_majority: bool = False) -> int:
    """The assembly's chair puts the proposal to a majority vote and opens the round; returns
    the question's id."""
    chair.go(f"/assemblies/proposals/{proposal.pk}/")
    chair.page.click("text=Put it to a decision")
    chair.page.select_option("#id_method", "majority")
    if double_majority:
        chair.page.check("#id_double_majority")
    chair.page.uncheck("#id_hide_results")
    chair.page.click("main button:has-text('Create the question')")
    chair.page.wait_for_selector("h2:has-text('Open the round')")
    chair.page.click("main button:has-text('Open the round')")
    chair.page.wait_for_selector("#question-state:has-text('Open for votes')")
    return int(chair.page.url.rstrip("/").rsplit("/", 1)[-1])


def _vote_yes(tab: Tab, question: int, group: str | None = None) -> None:
    tab.go(f"/assemblies/questions/{question}/")
    if group is not None:
        tab.page.select_option("#id_cast_for", label=group)
    tab.page.check("input[name=position][value=yes]")
    tab.page.click("main button:has-text('Cast the vote')")
    tab.page.wait_for_selector("text=Your vote is counted.")


def _close(chair: Tab, question: int) -> None:
    chair.go(f"/assemblies/questions/{question}/")
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Passed')")


@pytest.mark.parametrize("width", [1280, 360])
def test_three_cities_endorse_a_state_plank_and_its_page_shows_them(
    browser: Any, live_server: Any, network: Network, outsider: User, width: int
) -> None:
    base = live_server.url
    state_slug = network.state.slug

    # The state network's chair proposes the plank from its program page.
    state = Tab(browser, base, network.state_chair, width)
    state.go(f"/programs/{state_slug}/")
    assert "This assembly has not adopted a plank yet." in state.page.inner_text("main")
    state.page.click("text=Propose a plank")
    state.page.fill("#id_title", "A public bank for Oregon")
    state.page.select_option("#id_kind", "institution")
    state.page.fill("#id_text", "Oregon founds a public bank that lends to co-ops and housing.")
    state.page.click("main button:has-text('Propose the plank')")
    state.page.wait_for_selector("h1:has-text('A public bank for Oregon')")
    assert "No other assembly has endorsed this plank yet." in state.page.inner_text("main")
    assert state.fits()
    plank = Plank.objects.get()

    # An outsider reads the plank but cannot put it to any assembly.
    out = Tab(browser, base, outsider, width)
    assert out.go(f"/programs/planks/{plank.pk}/").status == 200
    assert out.page.locator("text=Endorse this plank").count() == 0
    assert out.go(f"/programs/{state_slug}/planks/new/").status == 403

    # Three city chairs each put "endorse this plank" to their own assembly and adopt it.
    chairs = []
    for chair_user in network.city_chairs[:3]:
        chair = Tab(browser, base, chair_user, width)
        chair.go(f"/programs/planks/{plank.pk}/")
        chair.page.click("main button:has-text('Propose the endorsement')")
        chair.page.wait_for_selector("h1:has-text('Endorse the plank')")
        proposal = Proposal.objects.filter(plank_motion__plank=plank).latest("id")
        question = _decide(chair, proposal)
        _vote_yes(chair, question)
        _close(chair, question)
        chairs.append(chair)
    assert Endorsement.objects.filter(plank=plank).count() == 3
    assert chairs[0].fits()

    # The state assembly decides the plank by a double majority of people and member groups:
    # each city casts its group's vote, the chair votes in their own name.
    question = _decide(state, plank.proposal, double_majority=True)
    for chair, city in zip(chairs, network.cities, strict=False):
        _vote_yes(chair, question, group=city.name)
    _vote_yes(state, question)
    assert out.go(f"/assemblies/questions/{question}/").status == 200
    assert out.page.locator("#vote-form").count() == 0
    _close(state, question)
    assert "Yes 3" in state.page.inner_text("#tally-groups")
    plank.refresh_from_db()
    assert plank.status == PlankStatus.ADOPTED
    assert plank.proposal.status == ProposalStatus.ADOPTED

    # Anyone sees the plank with its three endorsements on the map and rolled up by state.
    out.go(f"/programs/planks/{plank.pk}/")
    main = out.page.inner_text("main")
    assert "In the program" in out.page.inner_text("#plank-status")
    assert "3 assemblies endorse it, in 3 places." in main
    out.page.wait_for_selector("#endorsements-map[data-markers='3']", state="attached")
    assert "Endorsing assemblies shown on the map: 3" in out.page.inner_text(
        "#endorsements-map-status"
    )
    assert out.fits()
    out.page.click("#rollup-places a:has-text('United States')")
    out.page.wait_for_selector("#rollup-title:has-text('In United States')")
    oregon = out.page.locator("#rollup-places li", has_text="Oregon")
    assert "3 endorsing assemblies" in oregon.inner_text()
    assert "3 of the 4 city or town coalitions" in oregon.inner_text()
    assert "Endorsed in 1 country" in out.page.inner_text("#rollup-kinds")
    assert out.fits()

    # The state's program lists it; the national view ranks it.
    out.go(f"/programs/{state_slug}/")
    assert "A public bank for Oregon" in out.page.inner_text("#program-planks")
    out.go("/programs/")
    assert "A public bank for Oregon" in out.page.inner_text("#widest")
    assert out.fits()
    for tab in [state, out, *chairs]:
        tab.context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_an_assembly_adopts_a_vision_section_and_proposes_to_amend_it(
    browser: Any, live_server: Any, network: Network, outsider: User, width: int
) -> None:
    base = live_server.url
    slug = network.cities[0].slug
    chair = Tab(browser, base, network.city_chairs[0], width)

    # From the assembly's page to its vision, which says nothing is adopted yet.
    chair.go(f"/assemblies/{slug}/")
    chair.page.click("#program-links a:has-text('Vision')")
    chair.page.wait_for_selector("#no-vision")
    chair.page.click("text=Draft a section")
    chair.page.select_option("#id_horizon", "20")
    chair.page.fill("#id_title", "Getting around")
    chair.page.fill("#id_text", "A bus every five minutes on every main street.")
    chair.page.click("main button:has-text('Propose the section')")
    chair.page.wait_for_selector("h1:has-text('Getting around')")
    assert chair.fits()
    proposal = Proposal.objects.get(vision_change__isnull=False)

    # The outsider cannot draft; the assembly decides the section like any proposal.
    out = Tab(browser, base, outsider, width)
    assert out.go(f"/programs/{slug}/vision/new/").status == 403
    question = _decide(chair, proposal)
    _vote_yes(chair, question)
    _close(chair, question)

    out.go(f"/programs/{slug}/vision/")
    section = out.page.locator("#vision-20 .vision-section")
    assert "A bus every five minutes on every main street." in section.inner_text()
    assert out.page.locator("text=Propose an amendment").count() == 0
    assert out.fits()

    # A member proposes a new text; the adopted one stays until the amendment is adopted.
    chair.go(f"/programs/{slug}/vision/")
    chair.page.click("text=Propose an amendment")
    chair.page.fill("#id_text", "A bus or tram every five minutes, free to ride.")
    chair.page.click("main button:has-text('Propose the amendment')")
    chair.page.wait_for_selector("h1:has-text('Amend the vision')")
    chair.go(f"/programs/{slug}/vision/")
    assert "An amendment is being decided" in chair.page.inner_text("#vision-20")
    assert "A bus every five minutes" in chair.page.inner_text("#vision-20")
    assert chair.fits()
    for tab in (chair, out):
        tab.context.close()
