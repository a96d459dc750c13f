"""Issue 12's story in a real browser, at desktop and phone widths, as a new user would try it:
a tenants' union organizer signs up, lists her group, starts a city coalition with two
neighbour groups (who accept), the city coalition joins a state network and the state network
joins a national one, each side answering from its notices. After every step an outsider, in
a browser of their own, tries the same door and is refused.

Drives Debian's Chromium through Playwright (commonweal.tests.browser) and skips where it is
not installed.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from accounts.models import RegionalCoordinator, User
from coalitions import services as coalition_services
from coalitions.models import Membership, MembershipStatus
from commonweal.tests import browser as shared_browser
from connections.models import Introduction
from directory import services
from directory.models import Organization, OrganizationAdmin
from overview.services import overview_rebuild
from places.models import Place, PlaceKind
from places.services import place_tree_renumber

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


class Person:
    """One person's own browser (cookies and all) at the test's width."""

    def __init__(self, browser: Any, base: str, width: int) -> None:
        self.base = base
        self.page = shared_browser.new_page(browser, width)
        # Map tiles come from the internet and are not part of the story.
        self.page.route(
            "**/*.png",
            lambda route: (
                route.abort() if "/static/" not in route.request.url else route.continue_()
            ),
        )

    def sign_in(self, user: User) -> "Person":
        self.go("/accounts/login/")
        self.page.fill("#id_username", user.email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button:has-text('Sign in')")
        # On a phone the menu folds away, so the button exists without being shown.
        self.page.wait_for_selector("button:has-text('Sign out')", state="attached")
        return self

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def post(self, path: str, data: dict[str, str]) -> int:
        """What a hand-made form would send from this person's browser, CSRF token and all."""
        self.go("/coalitions/")
        token = next(c["value"] for c in self.page.context.cookies() if c["name"] == "csrftoken")
        response = self.page.request.post(
            self.base + path, form=data, headers={"X-CSRFToken": token}, max_redirects=0
        )
        return int(response.status)

    def fits(self) -> bool:
        """Nothing wider than the screen (drawings and maps scroll inside their own frame)."""
        wide = self.page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => !e.closest('.leaflet-container, .graph-wrap'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        assert wide == [], wide
        return True

    def accept_from_notices(self, notice: str, message: str = "") -> None:
        self.go("/coalitions/notices/")
        assert self.fits()
        self.page.click(f"text={notice}")
        if message:
            self.page.fill("#id_message", message)
        self.page.click("button[value=accept]")
        self.page.wait_for_selector("#membership-status:has-text('Member')")
        assert self.fits()

    def ask_to_join(self, coalition: Organization, group: str, message: str) -> None:
        self.go(f"/coalitions/{coalition.slug}/")
        assert self.fits()
        self.page.click("a.button:has-text('Ask to join') >> nth=-1")
        self.page.select_option("#id_group", label=group)
        self.page.fill("#id_message", message)
        self.page.click("main button[type=submit]")
        self.page.wait_for_selector("text=Asked. The coalition's admins will answer.")

    def close(self) -> None:
        self.page.context.close()


def _user(email: str, name: str) -> User:
    return User.objects.create_user(email, PASSWORD, display_name=name)


@pytest.fixture
def world(places: dict[str, Place], outsider: User) -> dict[str, Any]:
    """Who is already on the hub when the story starts: two neighbour groups in Portland, a
    state network and a national alliance with their own admins, and an outsider with a group
    of their own."""
    people = {
        "clinic": _user("clinic@example.org", "Clinic admin"),
        "food": _user("food@example.org", "Food share admin"),
        "state": _user("state@example.org", "State weaver"),
        "nation": _user("nation@example.org", "National coordinator"),
        "transit": _user("transit@example.org", "Transit riders' admin"),
    }
    # The state network's weaver is also the hub's regional coordinator for Oregon.
    RegionalCoordinator.objects.create(user=people["state"], place=places["oregon"])
    # A second Oregon county, where no one organizes on housing.
    Place.objects.create(
        kind=PlaceKind.COUNTY,
        name="Lane County",
        search_name="lane county",
        slug="united-states-oregon-lane-county",
        parent=places["oregon"],
        source_ref="fips:41039",
        latitude=43.9,
        longitude=-122.8,
    )
    place_tree_renumber()
    for place in places.values():
        place.refresh_from_db()
    make = services.organization_create
    start = coalition_services.coalition_start
    return {
        **people,
        "clinic_group": make(
            user=people["clinic"], name="Portland Tenant Clinic", home_place=places["portland"]
        ),
        "food_group": make(
            user=people["food"], name="Portland Food Share", home_place=places["portland"]
        ),
        "transit_group": make(
            user=people["transit"], name="Portland Transit Riders", home_place=places["portland"],
            issue_areas=["transportation"],
        ),
        "outsider_group": make(
            user=outsider, name="Salem Landlords Forum", home_place=places["oregon"]
        ),
        "state_network": start(
            user=people["state"], name="Oregon Renters Network", level="state", span=places["oregon"]
        ),
        "national": start(
            user=people["nation"], name="United States Housing Alliance", level="nation",
            span=places["us"],
        ),
    }  # fmt: skip


def _membership(coalition: Organization, member: Organization) -> Membership:
    return Membership.objects.get(coalition=coalition, member=member)


@pytest.mark.parametrize("width", [1280, 360])
def test_a_tenants_union_connects_from_its_city_to_the_nation(
    browser: Any,
    live_server: Any,
    places: dict[str, Place],
    world: dict[str, Any],
    outsider: User,
    width: int,
) -> None:
    base = live_server.url
    out = Person(browser, base, width).sign_in(outsider)

    # 1. The organizer signs up; the account opens from the link mailed to her.
    tess = Person(browser, base, width)
    tess.go("/accounts/signup/")
    tess.page.fill("#id_email", "tess@example.org")
    tess.page.fill("#id_display_name", "Tess")
    tess.page.fill("#id_password", "correct horse battery")
    tess.page.click("main button:has-text('Sign up')")
    tess.page.wait_for_url(f"{base}/accounts/signup/sent/")
    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm/\S+", str(message.body))
    assert link is not None
    tess.page.goto(link.group(0))
    tess.page.click("main button:has-text('Open my account')")
    tess.page.wait_for_url(f"{base}/accounts/me/")
    assert tess.fits()

    # 2. She lists her group from the directory and becomes its admin.
    tess.go("/directory/")
    tess.page.get_by_role("link", name="Add a group").click()
    tess.page.fill("#id_name", "Eastside Tenants Union")
    tess.page.fill("#id_description", "Renters on the east side, organizing building by building.")
    tess.page.fill("#id_home_place", places["portland"].slug)
    tess.page.check("input[name='issue_areas'][value='housing']")
    tess.page.click("main button:has-text('Add the group')")
    tess.page.wait_for_url(f"{base}/organizations/**")
    assert "you are its admin" in tess.page.inner_text(".messages")
    assert tess.fits()
    union = Organization.objects.get(name="Eastside Tenants Union")
    assert OrganizationAdmin.objects.filter(organization=union, user__email="tess@example.org")
    # The outsider may not edit her listing.
    assert out.go(f"/outreach/listing/{union.slug}/edit/").status == 403

    # 3. She starts a city coalition with her union as founder and invites two neighbours.
    tess.go("/coalitions/")
    tess.page.click("text=Start a coalition")
    assert tess.fits()
    tess.page.fill("#id_name", "Portland Renters Alliance")
    tess.page.select_option("#id_level", "city")
    tess.page.fill("#id_place", places["portland"].slug)
    tess.page.check("label:has-text('Housing') input")
    tess.page.check("label:has-text('Eastside Tenants Union') input")
    tess.page.fill("#id_invite", "Portland Tenant Clinic\nPortland Food Share")
    tess.page.fill("#id_message", "Join us, neighbours.")
    tess.page.click("text=Start the coalition")
    tess.page.wait_for_selector("h1:has-text('Portland Renters Alliance')")
    assert tess.fits()
    city = Organization.objects.get(name="Portland Renters Alliance")
    assert city.coalition_profile.level == "city"
    assert city.coalition_profile.span == places["portland"]
    invitation = _membership(city, world["clinic_group"])
    assert invitation.status == MembershipStatus.INVITED
    # The outsider cannot start a coalition with her union as founder (it is not offered to
    # them), cannot invite on the coalition's behalf, cannot see or answer the invitation.
    out.go("/coalitions/new/")
    assert out.page.locator("label:has-text('Eastside Tenants Union')").count() == 0
    assert out.go(f"/coalitions/{city.slug}/invite/").status == 403
    assert out.go(f"/coalitions/memberships/{invitation.pk}/").status == 404
    answer = f"/coalitions/memberships/{invitation.pk}/answer/"
    assert out.post(answer, {"decision": "accept", "message": ""}) == 404
    invitation.refresh_from_db()
    assert invitation.status == MembershipStatus.INVITED

    # 4. Both neighbours accept from their notices; she reads that they did in hers.
    clinic = Person(browser, base, width).sign_in(world["clinic"])
    clinic.accept_from_notices("Portland Renters Alliance invites Portland Tenant Clinic", "Yes!")
    food = Person(browser, base, width).sign_in(world["food"])
    food.accept_from_notices("Portland Renters Alliance invites Portland Food Share")
    tess.go("/coalitions/notices/")
    notices = tess.page.inner_text("#notice-list")
    assert "Portland Tenant Clinic is now a member of Portland Renters Alliance." in notices
    assert "Portland Food Share is now a member of Portland Renters Alliance." in notices
    tess.go(f"/coalitions/{city.slug}/")
    assert sorted(tess.page.locator("#members .result h3").all_inner_texts()) == [
        "Eastside Tenants Union",
        "Portland Food Share",
        "Portland Tenant Clinic",
    ]

    # 5. The city coalition asks to join the state network; the outsider cannot ask in its
    # name (their list offers only their own group); the state weaver accepts.
    tess.ask_to_join(world["state_network"], "Portland Renters Alliance", "Portland is in.")
    out.go(f"/coalitions/{world['state_network'].slug}/join/")
    offered = out.page.locator("#id_group option").all_inner_texts()
    assert "Portland Renters Alliance" not in offered
    asked = _membership(world["state_network"], city)
    answer = f"/coalitions/memberships/{asked.pk}/answer/"
    assert out.post(answer, {"decision": "accept", "message": ""}) == 404
    state = Person(browser, base, width).sign_in(world["state"])
    state.accept_from_notices("Portland Renters Alliance asks to join Oregon Renters Network")

    # 6. The state network asks to join the national alliance, whose coordinator accepts.
    state.ask_to_join(world["national"], "Oregon Renters Network", "Oregon joins.")
    asked = _membership(world["national"], world["state_network"])
    answer = f"/coalitions/memberships/{asked.pk}/answer/"
    assert out.post(answer, {"decision": "accept", "message": ""}) == 404
    nation = Person(browser, base, width).sign_in(world["nation"])
    nation.accept_from_notices("Oregon Renters Network asks to join United States Housing Alliance")

    # The levels stand: city → state → nation, and the state network's page draws both.
    for membership in (
        _membership(city, union),
        _membership(world["state_network"], city),
        _membership(world["national"], world["state_network"]),
    ):
        assert membership.status == MembershipStatus.ACTIVE
    state.go(f"/coalitions/{world['state_network'].slug}/")
    drawn = state.page.text_content(".graph-wrap svg") or ""
    assert "Portland Renters Alliance" in drawn
    assert "United States Housing Alliance" in drawn
    assert state.fits()
    # An outsider reads the public page but is offered no admin's door, and cannot remove.
    out.go(f"/coalitions/{world['national'].slug}/")
    assert out.page.locator("text=Invite a group").count() == 0
    active = _membership(world["national"], world["state_network"])
    remove = f"/coalitions/memberships/{active.pk}/remove/"
    assert out.post(remove, {"reason": "I do not like them."}) == 403
    active.refresh_from_db()
    assert active.status == MembershipStatus.ACTIVE

    # 7. The state weaver sees whom the union might meet (transit riders: housing and transit
    # crosshatch) and proposes an introduction; both groups accept, and only then see each
    # other's contact. The outsider sees no suggestions, cannot propose, cannot read it.
    assert out.go(f"/connections/groups/{union.slug}/").status == 403
    state.go(f"/connections/groups/{union.slug}/")
    assert state.fits()
    card = state.page.locator("#suggested-groups li:has-text('Portland Transit Riders')")
    card.locator("a:has-text('Propose an introduction')").click()
    state.page.wait_for_selector("h1:has-text('Propose an introduction')")
    state.page.fill("#id_reason", "Rents and fares: the same neighbours carry both.")
    state.page.click("main button[type=submit]")
    state.page.wait_for_selector("#intro-status:has-text('Waiting for both groups')")
    assert state.fits()
    introduction = Introduction.objects.get()
    out.go("/connections/introductions/new/")
    out.page.fill("#id_first", union.slug)
    out.page.fill("#id_second", "Portland Transit Riders")
    out.page.fill("#id_reason", "Let me in.")
    with out.page.expect_response("**/connections/introductions/new/") as refused:
        out.page.click("main button[type=submit]")
    assert refused.value.status == 403
    assert "Only a coordinator of a place that holds both groups" in out.page.inner_text("main")
    assert Introduction.objects.count() == 1
    assert out.go(f"/connections/introductions/{introduction.pk}/").status == 404

    tess.go("/coalitions/notices/")
    tess.page.click("text=proposes that Eastside Tenants Union meets Portland Transit Riders")
    tess.page.click("button:has-text('Accept the introduction')")
    tess.page.wait_for_selector(".side-answer:has-text('Accepted')")
    assert tess.fits()
    transit = Person(browser, base, width).sign_in(world["transit"])
    transit.go("/connections/")
    transit.page.click("#awaiting a")
    transit.page.click("button:has-text('Accept the introduction')")
    transit.page.wait_for_selector("#intro-status:has-text('Both groups accepted')")
    assert transit.fits()

    # 8. The bird's-eye view of Oregon (once the worker has counted) shows where no one
    # organizes on housing: Lane County, not Multnomah. It is public: the outsider sees it too.
    overview_rebuild()
    tess.go(f"/places/{places['oregon'].slug}/")
    tess.page.click("text=Bird's-eye view of Oregon")
    tess.page.select_option("#id_issue", "housing")
    tess.page.click("button:has-text('Show')")
    tess.page.wait_for_url("**issue=housing**")
    gaps = tess.page.inner_text(".gap-places")
    assert "Lane County" in gaps
    assert "Multnomah County" not in gaps
    assert tess.page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert out.go(f"/overview/{places['oregon'].slug}/?issue=housing").status == 200

    for person in (tess, clinic, food, state, nation, transit, out):
        person.close()
