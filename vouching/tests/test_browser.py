"""In a real browser, at desktop and phone widths: a new group cannot commit its name until two
groups vouch, and a coordinator's role grant waits for a second coordinator. Skips when
Chromium is not installed."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import RegionalCoordinator, User
from actions import services as action_services
from actions.models import Commitment
from commonweal.tests import browser as shared_browser
from directory.models import Standing
from vouching.tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.fixture(params=[1280, 360], ids=["desktop", "phone"])
def width(request: Any) -> int:
    return int(request.param)


def _fits(page: Any) -> None:
    page.wait_for_load_state("load")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def test_a_new_group_cannot_commit_its_name_until_two_groups_vouch(
    browser: Any,
    live_server: Any,
    cast: Cast,
    organizer: User,
    member: User,
    outsider: User,
    width: int,
) -> None:
    now = timezone.now()
    call = action_services.call_create(
        user=member,
        coalition=cast.coalition,
        title="Day of action for tenants",
        description="Rally at city hall.",
        scope=cast.coalition.home_place,  # type: ignore[arg-type]
        starts_at=now + timedelta(days=14),
        deadline=now + timedelta(days=7),
        min_organizations=3,
    )
    newcomer = shared_browser.new_page(browser, width)
    shared_browser.sign_in(newcomer, live_server.url, organizer.email)
    newcomer.goto(f"{live_server.url}/actions/{call.slug}/commit/")
    newcomer.select_option("select[name=organization]", str(cast.newcomer.pk))
    newcomer.click("main form button[type=submit]")
    newcomer.wait_for_selector("text=cannot commit its name yet")
    _fits(newcomer)
    assert not Commitment.objects.exists()

    # Admins of two verified groups, two people, find the new group's listing and vouch.
    vouchers = []
    for person, group in ((member, cast.first), (outsider, cast.third)):
        voucher = shared_browser.new_page(browser, width)
        vouchers.append(voucher)
        shared_browser.sign_in(voucher, live_server.url, person.email)
        voucher.goto(f"{live_server.url}/organizations/{cast.newcomer.slug}/")
        voucher.click("#standing-tag")
        voucher.wait_for_selector("#vouch-form")
        _fits(voucher)
        voucher.select_option("select[name=voucher]", str(group.pk))
        voucher.fill("textarea[name=reason]", f"{group.name} has organised with them for a year.")
        voucher.click("#vouch-form button[type=submit]")
        voucher.wait_for_selector(f"#vouches-received >> text={group.name}")
    assert "Verified." in voucher.inner_text("#standing")
    _fits(voucher)
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.VERIFIED

    newcomer.goto(f"{live_server.url}/actions/{call.slug}/commit/")
    newcomer.select_option("select[name=organization]", str(cast.newcomer.pk))
    newcomer.click("main form button[type=submit]")
    newcomer.wait_for_selector("text=Portland Newcomers is committed")
    assert Commitment.objects.filter(organization=cast.newcomer).exists()
    newcomer.context.close()
    for voucher in vouchers:
        voucher.context.close()


def test_a_coordinators_role_grant_waits_for_a_second_coordinator(
    browser: Any, live_server: Any, site_coordinator: User, member: User, places: Any, width: int
) -> None:
    second = User.objects.create_user(
        "second@example.org", "a-long-passphrase", is_site_coordinator=True
    )
    first = shared_browser.new_page(browser, width)
    shared_browser.sign_in(first, live_server.url, site_coordinator.email)
    first.goto(f"{live_server.url}/vouching/pending/")
    first.click("text=Ask for a coordinator role for someone")
    first.fill("input[name=email]", member.email)
    first.fill("input[name=place]", "Oregon")
    first.fill("textarea[name=reason]", "She has run the Oregon network for years.")
    _fits(first)
    first.click("#role-grant-form button[type=submit]")
    first.wait_for_selector("text=You asked for this; another coordinator must confirm it.")
    _fits(first)
    assert not RegionalCoordinator.objects.filter(user=member).exists()

    other = shared_browser.new_page(browser, width)
    shared_browser.sign_in(other, live_server.url, second.email)
    other.goto(f"{live_server.url}/vouching/pending/")
    other.wait_for_selector("#pending-list >> text=Make Member coordinator of Oregon")
    _fits(other)
    other.click("#pending-list button[value=confirm]")
    other.wait_for_selector("#pending-done >> text=Confirmed and done")
    assert RegionalCoordinator.objects.filter(user=member, place=places["oregon"]).exists()
    first.context.close()
    other.context.close()
