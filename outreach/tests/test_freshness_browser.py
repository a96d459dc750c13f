"""In a real browser: an admin answers the mailed check-in and the listing shows it; a
coordinator sees how fresh the region is and takes a stale group into outreach."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from commonweal.tests import browser as chromium
from commonweal.tests import listings as shared
from directory import freshness
from directory.models import Organization
from outreach.checkins import checkins_send
from outreach.models import OutreachEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium.launch()


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture(autouse=True)
def _no_remembered_charts() -> None:
    freshness._charts.clear()


@pytest.fixture(autouse=True)
def _mail_in_memory(settings: Any, live_server: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.SITE_URL = live_server.url


def _age(org: Organization, days: int) -> None:
    Organization.objects.filter(pk=org.pk).update(
        created_at=timezone.now() - timedelta(days=days), last_confirmed_at=None
    )


@pytest.mark.parametrize("width", chromium.WIDTHS.values(), ids=chromium.WIDTHS.keys())
def test_an_admin_confirms_from_the_mailed_link_without_signing_in(
    browser: Any, live_server: Any, administered: Organization, width: int
) -> None:
    _age(administered, 250)
    assert checkins_send()["asked"] == 1
    (message,) = mail.outbox
    link = next(w for w in message.body.split() if "/directory/checkin/" in w)

    tab = chromium.new_page(browser, width)
    tab.goto(link)
    assert "Is Alberta Street Mutual Aid still active?" in tab.inner_text("h1")
    assert "May be out of date" in tab.inner_text("main")
    assert chromium.fits(tab, "main button:has-text('still active')")
    tab.click('main button:has-text("Yes, we\'re still active")')
    tab.wait_for_url(f"{live_server.url}/organizations/{administered.slug}/")
    assert "Confirmed today" in tab.inner_text("main")
    assert "out of date" not in tab.inner_text("main")
    tab.context.close()


@pytest.mark.parametrize("width", chromium.WIDTHS.values(), ids=chromium.WIDTHS.keys())
def test_a_coordinator_sees_the_chart_and_adds_a_stale_group_to_outreach(
    browser: Any,
    live_server: Any,
    found: Organization,
    regional_coordinator: User,
    width: int,
) -> None:
    _age(found, 800)
    tab = chromium.new_page(browser, width)
    chromium.sign_in(tab, live_server.url, regional_coordinator.email)
    tab.goto(f"{live_server.url}/outreach/")
    tab.click("main a:has-text('Freshness and stale listings')")
    tab.wait_for_url(f"{live_server.url}/outreach/stale/")
    assert tab.locator("main svg.freshness-chart").count() == 1
    assert chromium.fits(tab, "main svg.freshness-chart")
    assert "1 listed group in" in tab.inner_text("main")
    assert "Probably out of date" in tab.inner_text(f"#stale-{found.pk}")
    button = f"#stale-{found.pk} button"
    assert chromium.fits(tab, button)
    tab.click(button)
    entry = OutreachEntry.objects.get(organization=found)
    tab.wait_for_url(f"{live_server.url}/outreach/{entry.pk}/")
    tab.goto(f"{live_server.url}/outreach/stale/")
    assert "On your outreach board." in tab.inner_text(f"#stale-{found.pk}")
    tab.context.close()
