"""The story of issue 14 in a real browser, at desktop and phone widths: a tenants' union in
Jackson asks for 40 volunteers and $3,000 for a legal defence; groups in three other states see
the match, pledge and deliver; Jackson confirms; the national campaign page rolls it up by state;
the groups show as tied on Jackson's page and in the bird's-eye view of the United States. An
outsider never sees the private request nor changes one. Skips without Chromium."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from commonweal.tests import browser as shared_browser
from solidarity import services
from solidarity.models import Campaign, PledgeState, SupportRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.fixture(params=[1280, 360], ids=["desktop", "phone"])
def width(request: Any) -> int:
    return request.param


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def person(browser: Any, width: int, base: str, email: str) -> Any:
    page = shared_browser.new_page(browser, width)
    page.route(
        "**/*.png", lambda r: r.abort() if "/static/" not in r.request.url else r.continue_()
    )
    shared_browser.sign_in(page, base, email)
    return page


def test_jackson_asks_three_states_help_jackson_confirms_and_the_campaign_rolls_up(
    browser: Any,
    width: int,
    live_server: Any,
    cast: Any,
    organizer: Any,
    member: Any,
    outsider: Any,
) -> None:
    base = live_server.url
    # The national coalition opens the campaign.
    coord = person(browser, width, base, member.email)
    coord.goto(f"{base}/solidarity/campaigns/new/")
    coord.fill("input[name=title]", "Jackson legal defence")
    coord.select_option("select[name=kind]", "money")
    coord.fill("input[name=target]", "3000")
    coord.fill("input[name=currency]", "USD")
    coord.fill("input[name=scope]", "United States")
    _fits(coord, width)
    coord.click("main form button[type=submit]")
    coord.wait_for_selector("#campaign-totals")
    campaign = Campaign.objects.get()

    # The helpers already offer money and volunteers from anywhere.
    for key in ["oakland", "portland", "nyc"]:
        services.offer_create(
            user=cast.admins[key],
            organization=cast.helpers[key],
            title="Solidarity fund",
            kind="money",
            remote=True,
        )
    services.offer_create(
        user=cast.admins["oakland"],
        organization=cast.helpers["oakland"],
        title="Travelling crew",
        kind="volunteers",
        remote=True,
    )
    # A private, sensitive request of Jackson's that the outsider must never see.
    services.request_create(
        user=organizer,
        organization=cast.jackson,
        title="House an evicted family",
        kind="housing",
        sensitive=True,
        visibility="coalitions",
    )

    # Jackson asks, through the pages, for $3,000 in the campaign and for 40 volunteers.
    jackson = person(browser, width, base, organizer.email)
    for fields in (
        {
            "title": "Legal defence fund",
            "kind": "money",
            "quantity": "3000",
            "currency": "USD",
            "campaign": str(campaign.pk),
        },
        {
            "title": "40 volunteers for the eviction defence",
            "kind": "volunteers",
            "quantity": "40",
            "unit": "people",
        },
    ):
        jackson.goto(f"{base}/solidarity/")
        jackson.click("#ask-for-help")
        jackson.fill("input[name=title]", fields["title"])
        jackson.select_option("select[name=kind]", fields["kind"])
        jackson.fill("input[name=quantity]", fields["quantity"])
        if "currency" in fields:
            jackson.fill("input[name=currency]", fields["currency"])
            jackson.select_option("select[name=campaign]", fields["campaign"])
            jackson.fill("input[name=money_link]", "https://give.example.org/jackson")
        else:
            jackson.fill("input[name=unit]", fields["unit"])
        jackson.fill("input[name=contact_email]", "dee@jackson.example")
        _fits(jackson, width)
        jackson.click("main form button[type=submit]")
        jackson.wait_for_selector("#request-totals")
    money = SupportRequest.objects.get(title="Legal defence fund")
    people = SupportRequest.objects.get(title="40 volunteers for the eviction defence")

    # Jackson adds a date to the volunteers' request on its edit page.
    jackson.goto(f"{base}{people.get_absolute_url()}")
    jackson.click("#edit-request")
    jackson.fill("textarea[name=description]", "Court date on the 12th: pack the hallway.")
    _fits(jackson, width)
    jackson.click("main form button[type=submit]")
    jackson.wait_for_selector("#request-totals")
    assert "pack the hallway" in jackson.inner_text("main")

    # Each helper sees the match with its reason, pledges $1,000 and delivers it.
    for key in ["oakland", "portland", "nyc"]:
        helper = person(browser, width, base, cast.admins[key].email)
        helper.goto(f"{base}/solidarity/matches/")
        assert "needs money, which you offer" in helper.inner_text("#matches")
        _fits(helper, width)
        helper.click("#matches a:has-text('Legal defence fund')")
        assert "dee@jackson.example" not in helper.content()
        helper.fill("#pledge-form input[name=amount]", "1000")
        helper.click("#pledge-form button[type=submit]")
        helper.wait_for_selector(".mark-delivered")
        helper.click(".mark-delivered")
        helper.wait_for_selector("text=Delivered, waiting for confirmation")
        if key == "oakland":
            helper.goto(f"{base}{people.get_absolute_url()}")
            helper.fill("#pledge-form input[name=amount]", "40")
            helper.click("#pledge-form button[type=submit]")
            helper.click(".mark-delivered")
            helper.wait_for_selector("text=Delivered, waiting for confirmation")
        helper.context.close()

    # Jackson confirms every delivery.
    for req in (money, people):
        jackson.goto(f"{base}{req.get_absolute_url()}")
        while jackson.locator(".confirm-receipt").count():
            jackson.locator(".confirm-receipt").first.click()
            jackson.wait_for_load_state()
        _fits(jackson, width)
    assert set(money.pledges.values_list("state", flat=True)) == {PledgeState.CONFIRMED}
    assert jackson.inner_text("#received").startswith("40")  # the volunteers' page, last shown

    # The campaign page rolls it up by state.
    coord.goto(f"{base}{campaign.get_absolute_url()}")
    table = coord.inner_text("#campaign-rollup")
    for state in ["California", "Oregon", "New York"]:
        assert state in table
    assert "100%" in coord.inner_text("#campaign-received")
    _fits(coord, width)

    # The groups now show as tied on Jackson's page.
    jackson.goto(f"{base}/organizations/{cast.jackson.slug}/")
    ties = jackson.inner_text("#ties")
    assert "Oakland Solidarity Network" in ties and "New York City Solidarity Network" in ties

    # The background worker recounts the bird's-eye view (as it does minutes after a confirmed
    # delivery); the United States' page now shows Jackson tied to the groups that helped it.
    from overview.services import overview_rebuild

    overview_rebuild()
    coord.goto(f"{base}/overview/{cast.places['us'].slug}/")
    tied = coord.inner_text("#support-ties")
    assert "3 pairs of groups are tied" in tied
    for key in ["oakland", "portland", "nyc"]:
        assert f"{cast.helpers[key].name} helped Jackson Tenants Union" in tied
    _fits(coord, width)

    # The outsider never sees the private request, in pages or feeds, and cannot change any.
    stranger = person(browser, width, base, outsider.email)
    stranger.goto(f"{base}/overview/{cast.places['us'].slug}/")
    assert "Jackson Tenants Union" in stranger.inner_text("#support-ties")
    assert "evicted" not in stranger.content()
    assert stranger.goto(f"{base}/solidarity/requests/{people.pk}/edit/").status == 403
    stranger.goto(f"{base}/solidarity/")
    assert "House an evicted family" not in stranger.content()
    private = SupportRequest.objects.get(title="House an evicted family")
    response = stranger.goto(f"{base}{private.get_absolute_url()}")
    assert response.status == 404
    assert "evicted" not in stranger.request.get(f"{base}/solidarity/murmurations.json").text()
    assert money.pledges.count() == 3 and SupportRequest.objects.get(
        pk=money.pk
    ).received == Decimal(3000)
