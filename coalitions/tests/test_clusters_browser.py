"""The issue cluster story in a real browser, at desktop and phone widths: a member group offers
to lead the housing cluster, the coalition's admin confirms it from the notice, the cluster page
shows it as a lead and the joint housing ↔ transportation cluster lists the group in both; an
outsider sees neither the offer nor the steps."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from coalitions.models import ClusterLead, LeadStatus
from coalitions.tests.test_browser import Session
from commonweal.tests import browser as shared_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.mark.parametrize("width", [1280, 360])
def test_a_group_becomes_lead_of_the_housing_cluster_through_the_pages(
    browser: Any,
    live_server: Any,
    clustered: Any,
    organizer: User,
    member: User,
    outsider: User,
    width: int,
) -> None:
    base = live_server.url
    coalition = clustered.coalition

    # The tenants' union's organizer finds the housing cluster from the coalition's page.
    org = Session(browser, base, organizer, width)
    org.go(f"/coalitions/{coalition.slug}/")
    clusters = org.page.locator("#clusters")
    assert "no lead group yet" in clusters.inner_text()
    assert org.fits()
    org.page.click("#clusters a:has-text('Housing')")
    org.page.wait_for_selector("h1:has-text('Housing cluster')")
    assert "in this cluster, by its issue areas" in org.page.inner_text("#your-groups")
    assert org.fits()

    # It offers to lead, saying what it already does.
    org.page.click("#your-groups summary:has-text('Offer to lead')")
    org.page.fill("#your-groups textarea[name=message]", "We have organized tenants since 2019.")
    org.page.click("#your-groups button:has-text('Offer to lead')")
    org.page.wait_for_selector("text=Offered. The coalition's admins will answer.")
    assert "offered to lead" in org.page.inner_text("#your-groups")
    assert org.fits()

    # The coalition's admin follows the notice and sees the offer with the group's record.
    admin = Session(browser, base, member, width)
    admin.go("/coalitions/notices/")
    admin.page.click("text=Portland Tenants Union offers to lead the Housing cluster")
    admin.page.wait_for_selector("#offers")
    offers = admin.page.inner_text("#offers")
    assert "We have organized tenants since 2019." in offers
    assert "Its listing names Housing" in offers
    assert "No live call on Housing" in offers
    assert admin.fits()
    admin.page.fill("#offers textarea[name=message]", "Welcome, and thank you.")
    admin.page.click("#offers button:has-text('Confirm as lead')")
    admin.page.wait_for_selector("text=Answered. The group has been told.")
    assert ClusterLead.objects.get().status == LeadStatus.CONFIRMED

    # The cluster page shows it as a lead; the joint cluster lists the group in both issues.
    leads = admin.page.inner_text("#leads")
    assert "Portland Tenants Union" in leads
    joint = admin.page.inner_text("#joint-transportation")
    assert "Housing and Transportation" in joint
    assert "Salem Land Trust" in joint and "1 group works on both" in joint
    assert "Portland Tenants Union" not in joint
    assert admin.fits()

    # The organizer is told, and the coalition's page names the lead.
    org.go("/coalitions/notices/")
    assert "confirmed Portland Tenants Union as a lead" in org.page.inner_text("#notice-list")
    org.go(f"/coalitions/{coalition.slug}/")
    clusters_text = org.page.inner_text("#clusters")
    assert "led by Portland Tenants Union" in clusters_text
    assert "1 group works on both" in clusters_text
    assert org.fits()

    # An outsider reads the public cluster page, with no offers and no steps to take.
    out = Session(browser, base, outsider, width)
    out.go(f"/coalitions/{coalition.slug}/clusters/housing/")
    assert "Portland Tenants Union" in out.page.inner_text("#leads")
    assert out.page.locator("#offers").count() == 0
    assert out.page.locator("#your-groups").count() == 0
    assert out.page.locator("text=Withdraw this lead").count() == 0
    assert out.fits()
    for session in (org, admin, out):
        session.close()
