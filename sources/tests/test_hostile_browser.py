"""A coordinator in a real browser, at desktop and phone widths: a hostile file uploaded from
the import page gets a clear error (not a spinner), and a stuck import is cancelled from its
page. Skips when Chromium is not installed."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from commonweal.tests import browser as shared_browser
from places.geocoder import reset_geocoder
from sources.models import ImportRun, RunStatus, Source
from sources.tests.test_hostile import _xlsx

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()
    # Close the test's own connection, or PostgreSQL cannot drop the test database.
    connections.close_all()


def _signed_in(browser: Any, live_server: Any, user: Any, width: int) -> Any:
    tab = browser.new_page(viewport={"width": width, "height": 900})
    tab.set_default_timeout(20_000)
    tab.goto(f"{live_server.url}/accounts/login/?next=/sources/import/")
    tab.fill("input[name=username]", user.email)
    tab.fill("input[type=password]", "a-long-passphrase")
    tab.click("main form button[type=submit]")
    tab.wait_for_selector("input[type=file]")
    return tab


def _fits(tab: Any) -> bool:
    return bool(tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def _far_reaching_xlsx(path: Path) -> Path:
    """1.5 KB that, read naively, asks for a table of 17 billion cells."""
    _xlsx(path, [("A1", "name"), ("B1", "city"), ("XFD1048576", "x")])
    return path


@override_settings(TASKS=IMMEDIATE)
@pytest.mark.parametrize("width", [1280, 360])
def test_a_coordinator_sees_a_hostile_file_refused_and_cancels_a_stuck_import(
    browser: Any,
    live_server: Any,
    places: Any,
    site_coordinator: Any,
    tmp_path: Path,
    width: int,
) -> None:
    reset_geocoder()
    tab = _signed_in(browser, live_server, site_coordinator, width)

    # A hostile spreadsheet: the page answers with the reason, and stops waiting.
    tab.set_input_files("input[type=file]", str(_far_reaching_xlsx(tmp_path / "groups.xlsx")))
    tab.fill("input[name=source_name]", "Hostile list")
    tab.click("main form button[type=submit]")
    alert = tab.locator("#run-status [role=alert]")
    alert.wait_for()
    assert "reaches row 1,048,576 and column 16,384" in alert.inner_text()
    assert tab.locator("text=Reading the file").count() == 0
    assert tab.locator("#run-status[hx-get]").count() == 0
    assert "Failed" in tab.inner_text("#run-status")
    assert _fits(tab)

    # An import whose worker died mid-run: its page offers to cancel it, and cancelling works.
    source = Source.objects.create(name="Stuck list", slug="stuck-list")
    listed = tmp_path / "stuck.csv"
    listed.write_text("name,city\nRose City Mutual Aid,Portland\n")
    run = ImportRun.objects.create(
        source=source,
        file_path=str(listed),
        file_name="stuck.csv",
        status=RunStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=5),
        created_by=site_coordinator,
    )
    tab.goto(f"{live_server.url}/sources/runs/{run.pk}/")
    cancel = tab.get_by_role("button", name="Cancel this import")
    cancel.wait_for()
    assert cancel.is_visible() and _fits(tab)
    cancel.click()
    tab.wait_for_selector("text=The import was cancelled. Nothing was saved.")
    assert "Cancelled" in tab.inner_text("#run-status")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert _fits(tab)
    tab.close()
    reset_geocoder()
