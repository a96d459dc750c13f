"""Results pages in a real browser at desktop and phone widths: a group's admin casts the
group's vote in a double-majority question whose page then shows both tallies, and an STV
election shows its winners and its counting rounds without sideways scrolling."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from assemblies import services
from assemblies.models import Method, PeopleMode
from assemblies.tests.conftest import City
from assemblies.tests.test_browser import Tab
from commonweal.tests import browser as shared_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_results_pages_show_people_and_groups_and_the_count(
    browser: Any, live_server: Any, city: City, outsider: User, width: int
) -> None:
    base = live_server.url
    city.assembly.people = PeopleMode.OPEN
    city.assembly.save()
    people = [User.objects.create_user(f"voter{i}@example.org", "x") for i in range(3)]
    for person in people:
        services.assembly_join(user=person, assembly=city.assembly)
    question = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Join the state network?",
        method=Method.MAJORITY,
        double_majority=True,
    )
    services.question_open(user=city.chair, question=question)
    for person in people:
        services.ballot_cast(user=person, question=question, content={"position": "yes"})
    for group_admin, group in zip(city.admins[1:3], city.groups[1:3], strict=True):
        services.ballot_cast(
            user=group_admin, question=question, content={"position": "no"}, organization=group
        )

    # A group's admin casts the group's vote through the page.
    admin = Tab(browser, base, city.admins[0], width)
    admin.go(f"/assemblies/questions/{question.pk}/")
    admin.page.select_option("#id_cast_for", label=city.groups[0].name)
    admin.page.check("input[name=position][value=yes]")
    admin.page.click("main button:has-text('Cast the vote')")
    admin.page.wait_for_selector("text=Your vote is counted.")
    assert admin.fits()
    services.question_close(user=city.chair, question=question)

    out = Tab(browser, base, outsider, width)
    out.go(f"/assemblies/questions/{question.pk}/")
    assert "no majority of the member groups" in out.page.inner_text("#verdict")
    assert "Yes 3" in out.page.inner_text("#tally-people")
    assert "Yes 1 · No 2" in out.page.inner_text("#tally-groups")
    assert out.page.locator("#vote-form").count() == 0
    assert out.fits()

    election = services.question_create(
        user=city.chair,
        assembly=city.assembly,
        title="Two delegates to the state network",
        method=Method.STV,
        seats=2,
        hide_results=False,
        options=[("Ana Ruiz", None), ("Ben Okafor", None), ("Chen Wei", None)],
    )
    services.question_open(user=city.chair, question=election)
    a, b, c = (str(o.pk) for o in election.options.all())
    orders = [[a, b], [a, c], [b, a], [c, b], [a, b]]
    for admin_user, order in zip(city.admins, orders, strict=True):
        services.ballot_cast(
            user=admin_user, question=election, content={"ranking": [[x] for x in order]}
        )
    services.question_close(user=city.chair, question=election)
    out.go(f"/assemblies/questions/{election.pk}/")
    assert "Ana Ruiz" in out.page.inner_text("#verdict")
    out.page.click("summary:has-text('How it was counted')")
    assert out.fits()
    response = out.page.request.get(f"{base}/assemblies/questions/{election.pk}/ballots.preflib")
    assert response.status == 200 and "ALTERNATIVE NAME 1: Ana Ruiz" in response.text()
    admin.context.close()
    out.context.close()
