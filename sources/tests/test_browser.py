"""A coordinator imports a list in a real browser: uploads it, reads a preview that tells the
truth (listings after grouping, a warning for a likely misuse), runs it, and undoes it; at a
desktop's width and a phone's. Skips when Chromium is not installed, like the other browser
tests."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from accounts.models import AuditEvent
from commonweal.tests import browser as shared_browser
from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.models import ImportRun, RunStatus

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The shape of the DSA list: 1,200 rows of ZIP codes naming three chapters.
CHAPTERS = "zip,chapter\n" + "".join(
    f"{90000 + i},{('North', 'South', 'West')[i % 3]} Chapter\n" for i in range(1200)
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()
    # The import ran in the live server's threads; their connections must not outlive the module.
    connections.close_all()


@pytest.fixture
def geocoder(places: Any) -> Iterator[None]:
    reset_geocoder()
    yield
    reset_geocoder()


@pytest.mark.parametrize("width", [1280, 360])
@override_settings(TASKS=IMMEDIATE)
def test_a_coordinator_previews_imports_and_undoes_a_list(
    browser: Any,
    live_server: Any,
    site_coordinator: Any,
    geocoder: None,
    tmp_path: Path,
    width: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/sources/import/")
        page.fill("input[name=username]", site_coordinator.email)
        page.fill("input[type=password]", "a-long-passphrase")
        page.click("main form button[type=submit]")
        page.wait_for_selector("#id_file")

        upload = tmp_path / "chapters.csv"
        upload.write_text(CHAPTERS)
        page.set_input_files("#id_file", str(upload))
        page.fill("#id_source_name", "Chapters")
        page.click("main form button[type=submit]")

        page.wait_for_selector("#preview-summary")
        summary = " ".join(page.inner_text("#preview-summary").split())
        assert "1,200 rows will make 3 new listings" in summary
        warning = page.locator("#misuse-warning")
        assert warning.is_visible() and "only 3 different names" in warning.inner_text()
        # Nothing is cut off on a phone: the page does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.click("text=Import 1,200 rows as 3 listings")
        page.wait_for_selector("text=Result")
        assert Organization.objects.count() == 3

        page.click("#undo summary")
        page.click("text=Undo the import")
        page.wait_for_selector("text=This import was undone")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert Organization.objects.count() == 0
        run = ImportRun.objects.get()
        assert run.status == RunStatus.UNDONE
        assert AuditEvent.objects.filter(
            action="sources.import_undo", actor=site_coordinator
        ).exists()
    finally:
        context.close()
