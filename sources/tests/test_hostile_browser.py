"""A coordinator in a real browser, at desktop and phone widths: a hostile file uploaded from
the import page gets a clear error (not a spinner), and a stuck import is cancelled from its
page. Skips when Chromium is not installed."""

import os
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from places.geocoder import reset_geocoder
from sources.models import ImportRun, RunStatus, Source

CHROMIUM = Path("/usr/bin/chromium")
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            yield chromium
            chromium.close()
            # Close the test's own connection, or PostgreSQL cannot drop the test database.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


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
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Groups" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>city</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            "</sheetData></worksheet>",
        )
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
