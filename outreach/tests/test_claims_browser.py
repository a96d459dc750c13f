"""In a real browser: an outsider asks to join a listing that has admins; it waits for them,
and an admin accepts in the pages."""

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from commonweal.tests import browser as chromium
from commonweal.tests import listings as shared
from directory.models import Organization, OrganizationAdmin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium.launch()


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.mark.parametrize("width", chromium.WIDTHS.values(), ids=chromium.WIDTHS.keys())
def test_an_outsiders_claim_waits_for_the_admins_who_accept_it(
    browser: Any,
    live_server: Any,
    administered: Organization,
    outsider: User,
    organizer: User,
    regional_coordinator: User,
    width: int,
) -> None:
    url = live_server.url
    asker = chromium.new_page(browser, width)
    chromium.sign_in(asker, url, outsider.email)
    asker.goto(f"{url}/organizations/{administered.slug}/")
    asker.click('main a:has-text("Ask to join the listing\'s admins")')
    assert "Ask the group's admins" in asker.inner_text("main")
    assert asker.locator("text=Mail the link").count() == 0
    asker.fill("#id_message", "I run the Tuesday pantry.")
    asker.click("main button:has-text('Ask the admins')")
    asker.wait_for_url(f"{url}/organizations/{administered.slug}/")
    assert "Your request is with the group's admins." in asker.content()

    # A coordinator of the area sees it waiting and cannot hand the listing over.
    coordinator = chromium.new_page(browser, width)
    chromium.sign_in(coordinator, url, regional_coordinator.email)
    coordinator.goto(f"{url}/outreach/claims/")
    assert "Waiting for the group's admins" in coordinator.inner_text("main")
    assert coordinator.locator("button[value='approve']").count() == 0

    admin = chromium.new_page(browser, width)
    chromium.sign_in(admin, url, organizer.email)
    admin.goto(f"{url}/organizations/{administered.slug}/")
    admin.click("text=1 person asks to join you")
    admin.wait_for_url(f"{url}/outreach/requests/")
    assert "I run the Tuesday pantry." in admin.inner_text("main")
    assert chromium.fits(admin, "main button:has-text('Accept')")
    admin.click("main button:has-text('Accept')")
    admin.wait_for_url(f"{url}/outreach/requests/")
    assert "Decision recorded." in admin.content()
    assert OrganizationAdmin.objects.filter(organization=administered, user=outsider).exists()
    for tab in (asker, coordinator, admin):
        tab.context.close()
