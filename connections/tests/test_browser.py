"""The introduction story in a real browser, at desktop and phone widths: a regional
coordinator sees whom a group might meet and introduces two groups; both accept from their
notices; only then does each see the other's private contact; weeks later the follow-up asks,
and one side records that they met."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import RegionalCoordinator, User
from commonweal.tests import browser as shared_browser
from connections import services
from connections.models import Introduction, Tie
from connections.tests.conftest import PASSWORD, Town
from directory import services as directory_services
from outreach.models import OutreachEntry
from places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRIVATE_EMAIL = "tenants-private@example.org"
OTHER_EMAIL = "justice-private@example.org"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


class Session:
    """One person's browser tab, signed in, at the test's width."""

    def __init__(self, browser: Any, base: str, user: User, width: int) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.go("/accounts/login/")
        self.page.fill("#id_username", user.email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button:has-text('Sign in')")
        self.page.wait_for_selector("button:has-text('Sign out')", state="attached")

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def fits(self) -> bool:
        """Nothing wider than the screen: the page works on a phone without sideways scrolling."""
        # After a click the page's elements can be found before its stylesheets have loaded;
        # measure the page as it is shown, not half-styled.
        self.page.wait_for_load_state("load")
        wide = self.page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        assert wide == [], wide
        return True

    def html(self) -> str:
        return str(self.page.content())

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_a_weaver_introduces_two_groups_who_accept_and_meet(
    browser: Any, live_server: Any, town: Town, places: dict[str, Place], width: int
) -> None:
    base = live_server.url
    weaver_user = town.people["weaver"]
    RegionalCoordinator.objects.create(user=weaver_user, place=places["oregon"])
    organizer, justice = town.people["organizer"], town.people["justice"]
    directory_services.private_contact_update(
        user=organizer, organization=town.tenants, email=PRIVATE_EMAIL
    )
    directory_services.private_contact_update(
        user=justice, organization=town.justice, email=OTHER_EMAIL
    )

    # The weaver looks at whom the tenants' union might meet, and why.
    weaver = Session(browser, base, weaver_user, width)
    weaver.go(f"/connections/groups/{town.tenants.slug}/")
    assert weaver.fits()
    card = weaver.page.locator("#suggested-groups li:has-text('Portland Housing Justice')")
    assert "speaks Spanish, which none of your ties do" in card.inner_text()
    card.locator("a:has-text('Propose an introduction')").click()
    weaver.page.wait_for_selector("h1:has-text('Propose an introduction')")
    assert weaver.page.input_value("#id_first") == town.tenants.slug
    assert weaver.page.input_value("#id_second") == town.justice.slug
    weaver.page.fill("#id_reason", "Both of you fight the same landlord's evictions.")
    assert weaver.fits()
    weaver.page.click("main button[type=submit]")
    weaver.page.wait_for_selector("#intro-status:has-text('Waiting for both groups')")
    assert weaver.fits()
    intro = Introduction.objects.get()

    # The tenants' organizer finds it in their notices, sees no contact yet, and accepts.
    tenants = Session(browser, base, organizer, width)
    tenants.go("/coalitions/notices/")
    tenants.page.click("text=proposes that Portland Tenants Union meets Portland Housing Justice")
    tenants.page.wait_for_selector("#contact-hidden")
    assert OTHER_EMAIL not in tenants.html()
    assert tenants.fits()
    tenants.page.click("button:has-text('Accept the introduction')")
    tenants.page.wait_for_selector(".side-answer:has-text('Accepted')")
    assert OTHER_EMAIL not in tenants.html()

    # The other side accepts from the whom-to-meet page's list of what waits for them.
    other = Session(browser, base, justice, width)
    other.go("/connections/")
    other.page.click("#awaiting a")
    assert PRIVATE_EMAIL not in other.html()
    other.page.fill("#id_message", "Glad to meet.")
    other.page.click("button:has-text('Accept the introduction')")
    other.page.wait_for_selector("#intro-status:has-text('Both groups accepted')")
    assert PRIVATE_EMAIL in other.page.inner_text("#shared-contact")
    assert other.fits()

    # Only now does the tenants' organizer see the other side's private contact.
    tenants.page.reload()
    assert OTHER_EMAIL in tenants.page.inner_text("#shared-contact")
    assert PRIVATE_EMAIL not in tenants.page.inner_text("#shared-contact")
    assert tenants.fits()

    # Weeks later the worker's chore asks both; the organizer answers from the notice.
    assert services.introduction_followup_tick(now=timezone.now() + timedelta(days=22)) == {
        "asked": 1
    }
    tenants.go("/coalitions/notices/")
    tenants.page.click("text=Did Portland Tenants Union meet Portland Housing Justice?")
    tenants.page.check("label:has-text('We met') input")
    tenants.page.fill("#id_note", "Coffee, and a joint meeting next month.")
    tenants.page.click("button:has-text('Record it')")
    tenants.page.wait_for_selector(".side-answer:has-text('We met')")
    assert tenants.fits()
    assert Tie.objects.get(introduction=intro).kind == "met"
    assert set(OutreachEntry.objects.values_list("stage", flat=True)) == {"connected"}

    # The organizer hides a suggestion, finds it under the hidden ones, and brings it back.
    tenants.go(f"/connections/groups/{town.tenants.slug}/")
    assert "Portland Housing Justice" not in tenants.page.inner_text("#suggested-groups")  # met
    tenants.page.click("button:has-text('Not now: hide Eastside Transit Riders')")
    tenants.page.wait_for_selector("#dismissed:has-text('Eastside Transit Riders')")
    assert "Eastside Transit Riders" not in tenants.page.inner_text("#suggested-groups")
    assert tenants.fits()
    tenants.page.click("button:has-text('Show Eastside Transit Riders again')")
    tenants.page.wait_for_selector("#suggested-groups li:has-text('Eastside Transit Riders')")
    assert tenants.page.locator("#dismissed").count() == 0

    # An outsider cannot open it at all.
    outsider = Session(browser, base, town.people["gresham"], width)
    assert outsider.go(f"/connections/introductions/{intro.pk}/").status == 404
    for session in (weaver, tenants, other, outsider):
        session.close()
