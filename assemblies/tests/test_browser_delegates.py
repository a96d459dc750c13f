"""Delegates in a real browser, at desktop and phone widths: a city coalition that is itself a
member of a state network elects two delegates by STV in its own assembly, gives one a mandate;
the delegate casts the coalition's vote in the state assembly beside that mandate and reports
back; the coalition recalls the delegate by vote, and the next in line takes the seat and sees
the standing vote as theirs. Outsiders are refused at each step."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from assemblies import services
from assemblies.models import Announcement, Ballot, Delegate, DelegateStatus, Election, Method
from assemblies.tests.conftest import City, state_network
from assemblies.tests.test_browser import Tab
from commonweal.tests import browser as shared_browser
from places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.mark.parametrize("width", [1280, 360])
def test_a_coalition_elects_instructs_hears_and_recalls_its_delegates(
    browser: Any,
    live_server: Any,
    city: City,
    places: dict[str, Place],
    outsider: User,
    width: int,
) -> None:
    base = live_server.url
    slug = city.coalition.slug
    state = state_network(places["oregon"], city)
    plank = services.question_create(
        user=state.chair,
        assembly=state.assembly,
        title="Adopt the housing plank?",
        method=Method.MAJORITY,
        hide_results=False,
    )
    services.question_open(user=state.chair, question=plank)
    a = city.admins

    # The coalition's admin opens an election of two delegates to the state network.
    chair = Tab(browser, base, city.chair, width)
    chair.go(f"/assemblies/{slug}/delegates/")
    chair.page.wait_for_selector("h1:has-text('Delegates of Portland Commons')")
    assert chair.fits()
    chair.page.select_option("#elect-form #id_coalition", str(state.network.pk))
    chair.page.fill("#elect-form #id_seats", "2")
    for person in a[:3]:
        chair.page.check(f"#elect-form label:has-text('{person.display_name}') input")
    chair.page.click("main button:has-text('Open the election')")
    chair.page.wait_for_selector("h1:has-text('Delegates of Portland Commons to Oregon Network')")
    assert chair.fits()
    election = Election.objects.get()
    option = {c.user_id: c.option_id for c in election.candidates.all()}

    # Two members rank the candidates on the page; three more vote by the service.
    first = Tab(browser, base, a[0], width)
    for tab, ranking in ((first, [a[0], a[1]]), (Tab(browser, base, a[1], width), [a[1], a[0]])):
        tab.go(f"/assemblies/questions/{election.question_id}/")
        for rank, person in enumerate(ranking, start=1):
            tab.page.fill(f"#id_rank_{option[person.pk]}", str(rank))
        tab.page.click("main button:has-text('Cast the vote')")
        tab.page.wait_for_selector("text=Your vote is counted.")
        tab.context.close()
    for voter, ranking in ((a[2], [a[0], a[2]]), (a[3], [a[2], a[1]]), (a[4], [a[1], a[0]])):
        services.ballot_cast(
            user=voter,
            question=election.question,
            content={"ranking": [[str(option[p.pk])] for p in ranking]},
        )
    chair.go(f"/assemblies/questions/{election.question_id}/")
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Chosen:')")

    # The two elected serve, the third is next in line; their votes will be the coalition's.
    chair.go(f"/assemblies/{slug}/delegates/")
    seat = f"#coalition-{state.network.pk}"
    assert "Admin 0" in chair.page.inner_text(f"{seat} .delegate-list")
    assert "Admin 1" in chair.page.inner_text(f"{seat} .delegate-list")
    assert "Admin 2" in chair.page.inner_text(seat)
    chair.page.check(f"{seat} input[name=votes_by_delegates]")
    chair.page.click(f"{seat} .delegation-form button:has-text('Save')")
    chair.page.wait_for_selector(f"{seat}:has-text('Our delegates cast our vote there.')")
    assert chair.fits()

    # The chair gives Admin 0 a mandate on the state network's question.
    delegate = Delegate.objects.get(user=a[0], status=DelegateStatus.ACTIVE)
    chair.page.click(f"{seat} .delegate-list a:has-text('Admin 0')")
    chair.page.wait_for_selector("h1:has-text('delegate to Oregon Network')")
    chair.page.select_option("#mandate-form #id_subject", f"q{plank.pk}")
    chair.page.fill("#mandate-form #id_instruction", "Vote yes: the plank keeps rent control.")
    chair.page.click("main button:has-text('Give the mandate')")
    chair.page.wait_for_selector("#mandates:has-text('keeps rent control')")
    assert chair.fits()

    # The delegate casts the coalition's vote in the state assembly, the mandate beside it.
    delegate_tab = Tab(browser, base, a[0], width)
    delegate_tab.go(f"/assemblies/questions/{plank.pk}/")
    card = f"#seat-{city.coalition.pk}"
    assert "keeps rent control" in delegate_tab.page.inner_text(f"{card} .mandate-beside")
    assert delegate_tab.fits()
    delegate_tab.page.check(f"{card} input[value=yes]")
    delegate_tab.page.click(f"{card} button[type=submit]")
    delegate_tab.page.wait_for_selector(f"{card} .standing-vote:has-text('Yes')")
    assert Ballot.objects.get(question=plank, organization=city.coalition).voter == a[0]

    # And reports back to the coalition.
    delegate_tab.go(f"/assemblies/delegates/{delegate.pk}/")
    delegate_tab.page.select_option("#report-form #id_subject", f"q{plank.pk}")
    delegate_tab.page.fill("#report-form #id_text", "I voted yes as mandated; Salem is undecided.")
    delegate_tab.page.click("main button:has-text('Send the report')")
    delegate_tab.page.wait_for_selector("#reports:has-text('Salem is undecided')")
    assert delegate_tab.fits()

    # Outsiders see none of it, and cannot vote for the coalition.
    out = Tab(browser, base, outsider, width)
    assert out.go(f"/assemblies/delegates/{delegate.pk}/").status == 403
    assert out.go(f"/assemblies/{slug}/delegates/").status == 403
    out.go(f"/assemblies/questions/{plank.pk}/")
    assert out.page.locator(card).count() == 0
    other = Tab(browser, base, state.other_admins[0], width)
    assert other.go(f"/assemblies/delegates/{delegate.pk}/").status == 403
    other.go(f"/assemblies/questions/{plank.pk}/")
    assert other.page.locator(card).count() == 0

    # The coalition recalls Admin 0 by a majority of its own assembly.
    chair.go(f"/assemblies/delegates/{delegate.pk}/")
    chair.page.check("#recall-form input[value=vote]")
    chair.page.fill("#recall-form #id_reason", "We want a delegate who attends every meeting.")
    chair.page.click("main button:has-text('Recall')")
    chair.page.wait_for_selector("h1:has-text('Recall Admin 0 as delegate to Oregon Network?')")
    recall = Delegate.objects.get(pk=delegate.pk).recall_question
    assert recall is not None
    for voter in a[1:4]:
        services.ballot_cast(user=voter, question=recall, content={"position": "yes"})
    chair.page.reload()
    chair.page.click("main button:has-text('Close the round now')")
    chair.page.wait_for_selector("#verdict:has-text('Passed.')")
    chair.go(f"/assemblies/delegates/{delegate.pk}/")
    chair.page.wait_for_selector("#delegate-status:has-text('Recalled')")
    assert "Admin 2 took the seat." in chair.page.inner_text("#recall")
    assert Announcement.objects.filter(subject__contains="was recalled").exists()

    # The next in line sees the standing vote as theirs, on their record and beside the ballot.
    replacement = Tab(browser, base, a[2], width)
    replacement.go(f"/assemblies/{slug}/")
    replacement.page.click("#assembly-delegates a:has-text('Admin 2')")
    replacement.page.wait_for_selector("text=Took over the seat of Admin 0")
    assert "Standing vote taken over from Admin 0" in replacement.page.inner_text("#delegate-votes")
    assert replacement.fits()
    replacement.go(f"/assemblies/questions/{plank.pk}/")
    assert "now recorded as yours" in replacement.page.inner_text(f"{card} .standing-vote")
    # The mandate holds for the seat, whoever sits in it now.
    assert "keeps rent control" in replacement.page.inner_text(f"{card} .mandate-beside")
    assert replacement.fits()
    assert Ballot.objects.get(question=plank, organization=city.coalition).voter == a[2]
    # The recalled delegate no longer votes for the coalition.
    delegate_tab.go(f"/assemblies/questions/{plank.pk}/")
    assert delegate_tab.page.locator(card).count() == 0
    for tab in (chair, delegate_tab, out, other, replacement):
        tab.context.close()
