"""What the page tests share: Debian's Chromium through Playwright, at a desktop and a phone
width, and signing in through the real sign-in page. Test modules wrap these in fixtures."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"desktop": 1280, "phone": 360}


def launch() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright runs an event loop in this thread; the test's own database calls are plain
    # synchronous ones, which Django would otherwise refuse next to a running loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def new_page(browser: Any, width: int) -> Any:
    """A tab in a fresh context (its own cookies): one person."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    return tab


def sign_in(page: Any, base_url: str, email: str, password: str = "a-long-passphrase") -> None:  # noqa: S107 - the shared fixtures' test password
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button:has-text('Sign in')")
    page.wait_for_url(f"{base_url}/")


def fits(page: Any, selector: str) -> bool:
    """The element lies within the viewport's width (nothing to scroll sideways for).

    Measured once the page has loaded: before its stylesheet applies, a fieldset is as wide as its
    longest line.
    """
    page.wait_for_load_state("load")
    box = page.locator(selector).first.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
