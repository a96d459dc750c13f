"""The review queue in a real browser, as a regional coordinator for Oregon: a pair reaching
into California is shown with the reason it is not theirs to decide, and a pair inside Oregon
is decided. At desktop and phone widths; skips when Chromium is not installed."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from directory.models import PrivateContact
from resolution.models import ReviewPair, ReviewStatus
from sources.models import SourceRecord
from sources.services import import_file

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = (
    Path(os.environ.get("COMMONWEAL_SCREENSHOTS", ""))
    if os.environ.get("COMMONWEAL_SCREENSHOTS")
    else None
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[1280, 360], ids=["desktop", "phone"])
def page(request: Any) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            tab = browser.new_page(viewport={"width": request.param, "height": 900})
            tab.set_default_timeout(10_000)
            yield tab
            browser.close()
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _record(source: str, key: int) -> SourceRecord:
    return SourceRecord.objects.select_related("organization").get(
        source__name=source, record_key=key
    )


@pytest.fixture
def pairs(lists: dict[str, Path], geocoder: None, tmp_path: Path) -> dict[str, ReviewPair]:
    import_file(user=None, path=lists["first"], source_name="first")
    california = tmp_path / "california.csv"
    california.write_text(
        "Resource,City,State/Territory,Country,General\n"
        "Oakland Rose Mutual Aid,Oakland,CA,USA,https://oaklandrose.example.org\n"
    )
    import_file(user=None, path=california, source_name="california")
    oakland = _record("california", 1).organization
    assert oakland is not None
    PrivateContact.objects.create(organization=oakland, email="keeper@example.org")
    ReviewPair.objects.all().delete()
    return {
        "across": ReviewPair.objects.create(
            record_a=_record("first", 4),
            record_b=_record("california", 1),
            probability=0.62,
            explanation={"name": [5.7, "Jaro-Winkler distance of name_clean >= 0.85"]},
        ),
        "oregon": ReviewPair.objects.create(
            record_a=_record("first", 4),
            record_b=_record("first", 5),
            probability=0.41,
            explanation={
                "name": [-6.4, "names differ in distinctive words"],
                "links": [6.6, "link shared by 6 to 20 names", "oregonmutualaid.example.org|9"],
                "place": [9.6, "Exact match on city_state"],
                "postcode": [1.7, "Exact match on postcode"],
            },
        ),
    }


def _shot(page: Any, name: str) -> None:
    if SHOTS is not None:
        width = page.viewport_size["width"]
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def _fits(page: Any) -> bool:
    # Nothing pushes the page sideways on a phone: wide tables scroll inside their own box.
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_oregon_coordinator_sees_why_a_cross_region_pair_is_not_theirs(
    page: Any, live_server: Any, pairs: dict[str, ReviewPair], regional_coordinator: Any
) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/duplicates/")
    page.fill("input[name=username]", regional_coordinator.email)
    page.fill("input[type=password]", "a-long-passphrase")
    page.click("main form button[type=submit]")
    page.wait_for_selector("h1:has-text('Possible duplicates')")
    row = page.locator(f"#pair-{pairs['across'].pk}")
    reason = page.locator(f"#refusal-{pairs['across'].pk}").inner_text()
    assert "Not yours to decide" in reason and "Oakland, California" in reason
    assert _fits(page)
    _shot(page, "queue")

    row.get_by_role("link", name="See").click()
    page.wait_for_selector("#not-yours")
    assert "outside the places you coordinate" in page.inner_text("#not-yours")
    assert page.locator("input[name=decision]").count() == 0
    assert "keeper@example.org" not in page.content()
    assert _fits(page)
    _shot(page, "pair-across")

    page.go_back()
    page.locator(f"#pair-{pairs['oregon'].pk}").get_by_role("link", name="Compare").click()
    evidence = page.inner_text("#evidence")
    assert "Starting point" in evidence and "oregonmutualaid.example.org" in evidence
    assert "9 differently named listings" in evidence
    _shot(page, "pair-oregon")
    page.check("input[name=decision][value=different]")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("text=Kept apart as two groups.")
    pairs["oregon"].refresh_from_db()
    pairs["across"].refresh_from_db()
    assert pairs["oregon"].status == ReviewStatus.KEPT_APART
    assert pairs["across"].status == ReviewStatus.OPEN
