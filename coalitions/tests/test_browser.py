"""The coalition story in a real browser, at desktop and phone widths: an organizer starts a
city coalition with their group and invites a neighbour, whose admin accepts; the coalition
asks to join a state network, whose admin accepts; an outsider is refused; a member leaves."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from coalitions import services as coalition_services
from coalitions.models import Membership
from commonweal.tests import browser as shared_browser
from directory import services
from directory.models import Organization
from directory.tests.test_place_fields import portlands  # noqa: F401 (a fixture)
from places.geocoder import reset_geocoder
from places.models import Place

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


class Session:
    """One person's browser tab, signed in, at the test's width."""

    def __init__(self, browser: Any, base: str, user: User, width: int) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        # Map tiles and the members' map come from the internet or are not part of the story.
        self.page.route(
            "**/*.png",
            lambda route: (
                route.abort() if "/static/" not in route.request.url else route.continue_()
            ),
        )
        self.page.set_default_timeout(10_000)
        self.go("/accounts/login/")
        self.page.fill("#id_username", user.email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button:has-text('Sign in')")
        # On a phone the menu folds away, so the button exists without being shown.
        self.page.wait_for_selector("button:has-text('Sign out')", state="attached")

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def fits(self) -> bool:
        """Nothing wider than the screen: the page works on a phone without sideways scrolling."""
        wide = self.page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => !e.closest('.leaflet-container, .graph-wrap'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        assert wide == [], wide
        return True

    def close(self) -> None:
        self.context.close()


@pytest.fixture(autouse=True)
def _fresh_geocoder() -> Iterator[None]:
    # The story adds Portlands; later tests must not find them in a kept geocoder index.
    yield
    reset_geocoder()


@pytest.fixture
def story(
    places: dict[str, Place],
    portlands: dict[str, Place],  # noqa: F811
    organizer: User,
    member: User,
    outsider: User,
) -> dict:
    neighbour = User.objects.create_user(
        "neighbour@example.org", PASSWORD, display_name="Neighbour"
    )
    group = services.organization_create(
        user=organizer, name="Portland Tenants Union", home_place=places["portland"]
    )
    food = services.organization_create(
        user=neighbour, name="Portland Food Share", home_place=places["portland"]
    )
    network = coalition_services.coalition_start(
        user=member, name="Oregon Renters Network", level="state", span=places["oregon"]
    )
    return {"neighbour": neighbour, "group": group, "food": food, "network": network}


@pytest.mark.parametrize("width", [1280, 360])
def test_the_coalition_story_through_the_pages(
    browser: Any,
    live_server: Any,
    story: dict,
    places: dict[str, Place],
    organizer: User,
    member: User,
    outsider: User,
    width: int,
) -> None:
    base = live_server.url

    # An organizer starts a city coalition with their group and invites a neighbour group.
    org = Session(browser, base, organizer, width)
    org.go("/coalitions/")
    assert org.fits()
    org.page.click("text=Start a coalition")
    assert org.fits()
    org.page.fill("#id_name", "Portland Renters Alliance")
    org.page.select_option("#id_level", "city")
    # The place suggestions answer as one types; the organizer picks Portland from them. On a
    # loaded CI machine the answer can take longer than the page's default wait, so the test
    # waits for that answer itself before looking at the list.
    with org.page.expect_response(lambda r: "/place-suggestions/" in r.url, timeout=60_000):
        org.page.fill("#id_place", "Portl")
    org.page.wait_for_function(
        "() => [...document.querySelectorAll('#place-suggestions option')]"
        ".some(o => o.textContent.startsWith('Portland'))"
    )
    # A bare "Portland" may mean several places (Maine's, Jamaica's): the page asks which.
    org.page.fill("#id_place", "Portland")
    org.page.check("label:has-text('Housing') input")
    org.page.check("label:has-text('Portland Tenants Union') input")
    org.page.fill("#id_invite", "Portland Food Share")
    org.page.fill("#id_message", "Join us, neighbours.")
    org.page.click("text=Start the coalition")
    org.page.wait_for_selector(".place-choices")
    assert org.fits()
    labels = [t.strip() for t in org.page.locator(".place-choices label").all_inner_texts()]
    assert labels[0] == "Portland, Oregon, United States"
    assert "Portland, Maine, United States" in labels
    assert not Organization.objects.filter(name="Portland Renters Alliance").exists()
    org.page.check(".place-choices label:has-text('Portland, Oregon, United States') input")
    org.page.click("text=Start the coalition")
    org.page.wait_for_selector("h1:has-text('Portland Renters Alliance')")
    alliance = Organization.objects.get(name="Portland Renters Alliance")
    assert alliance.coalition_profile.span == places["portland"]
    assert org.page.locator("#members .result h3").all_inner_texts() == ["Portland Tenants Union"]
    assert org.fits()
    alliance = Organization.objects.get(name="Portland Renters Alliance")

    # The neighbour's admin finds the invitation in their notices and accepts it.
    neighbour = Session(browser, base, story["neighbour"], width)
    neighbour.go("/coalitions/notices/")
    assert neighbour.fits()
    neighbour.page.click("text=Portland Renters Alliance invites Portland Food Share")
    neighbour.page.fill("#id_message", "Glad to.")
    neighbour.page.click("button[value=accept]")
    neighbour.page.wait_for_selector("#membership-status:has-text('Member')")
    assert neighbour.fits()

    # The organizer sees it in their notices; the coalition asks to join the state network.
    org.go("/coalitions/notices/")
    assert "Portland Food Share is now a member of Portland Renters Alliance." in (
        org.page.inner_text("#notice-list")
    )
    org.go(f"/coalitions/{story['network'].slug}/")
    org.page.click("a.button:has-text('Ask to join') >> nth=-1")
    org.page.select_option("#id_group", label="Portland Renters Alliance")
    org.page.fill("#id_message", "Our city coalition would like to join.")
    org.page.click("main button[type=submit]")
    org.page.wait_for_selector("text=Asked. The coalition's admins will answer.")

    # The network's admin accepts.
    net = Session(browser, base, member, width)
    net.go("/coalitions/notices/")
    net.page.click("text=Portland Renters Alliance asks to join Oregon Renters Network")
    net.page.click("button[value=accept]")
    net.page.wait_for_selector("#membership-status:has-text('Member')")
    net.go(f"/coalitions/{story['network'].slug}/")
    assert "Portland Renters Alliance" in (net.page.text_content(".graph-wrap svg") or "")
    assert net.fits()

    # The network cannot also join the city coalition inside it: the page says why.
    net.go(f"/coalitions/{Organization.objects.get(name='Portland Renters Alliance').slug}/join/")
    net.page.select_option("#id_group", label="Oregon Renters Network")
    net.page.click("main button[type=submit]")
    refusal = net.page.inner_text("[role=alert]")
    assert "Oregon Renters Network → Portland Renters Alliance" in refusal
    assert "inside itself" in refusal
    assert net.fits()

    # An outsider can read the public page but not invite, and cannot see a pending answer.
    out = Session(browser, base, outsider, width)
    assert out.go(f"/coalitions/{alliance.slug}/invite/").status == 403
    outsider_view = Membership.objects.get(coalition=alliance, member=story["food"])
    assert out.go(f"/coalitions/memberships/{outsider_view.pk}/").status == 200  # active: public
    assert out.go(f"/coalitions/{alliance.slug}/").status == 200
    assert out.page.locator("#pending-title").count() == 0
    assert out.page.locator("text=Invite a group").count() == 0

    # The neighbour group leaves, from the coalition's page.
    neighbour.go(f"/coalitions/{alliance.slug}/")
    neighbour.page.click("#join a:has-text('leave')")
    neighbour.page.fill("#id_message", "We are merging with another group.")
    neighbour.page.click("button:has-text('Leave')")
    neighbour.page.wait_for_selector("#membership-status:has-text('Left')")
    outsider_view.refresh_from_db()
    assert outsider_view.status == "left"

    # The coalition's page now shows one member and the network it belongs to.
    org.go(f"/coalitions/{alliance.slug}/")
    assert org.page.locator("#members .result h3").all_inner_texts() == ["Portland Tenants Union"]
    assert "Oregon Renters Network" in org.page.inner_text("#graph-title ~ .grid-2")
    assert org.fits()
    for session in (org, neighbour, net, out):
        session.close()
