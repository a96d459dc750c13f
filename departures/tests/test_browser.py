"""In Chromium: a group's admin finds the page from the listing, downloads the zip and leaves."""

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from commonweal.tests import browser as shared_browser
from commonweal.tests import listings as shared
from directory.models import Organization, OrganizationAdmin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.mark.parametrize("width", sorted(shared_browser.WIDTHS.values()))
def test_an_admin_downloads_the_groups_data_and_leaves(
    browser: Any, live_server: Any, places: Any, organizer: Any, width: int
) -> None:
    orgs = shared.make_listings(places, organizer)
    page = shared_browser.new_page(browser, width)
    shared_browser.sign_in(page, live_server.url, organizer.email)
    page.goto(f"{live_server.url}/organizations/{orgs['tenants'].slug}/")
    page.click("text=Export our data or leave")
    assert shared_browser.fits(page, "main form")

    with page.expect_download() as info:
        page.click("button:has-text('Download our data (zip)')")
    with zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read())) as archive:
        assert "portland-tenants-union/listing.json" in archive.namelist()

    page.click("button:has-text('Leave the hub')")  # not confirmed yet: asked again
    assert page.locator("#id_confirm").is_visible()
    assert OrganizationAdmin.objects.filter(organization=orgs["tenants"]).exists()
    page.check("#id_confirm")
    page.click("button:has-text('Leave the hub')")
    page.wait_for_url(f"{live_server.url}/")
    assert Organization.objects.get(pk=orgs["tenants"].pk).is_hidden
    assert not OrganizationAdmin.objects.filter(organization=orgs["tenants"]).exists()
    page.context.close()
