"""The bird's-eye view in a real browser: from Oregon's page to its view, where a county with
no housing group shows as a gap in the heat map and on the map, at desktop and phone widths."""

from collections.abc import Iterator
from typing import Any

import pytest

from commonweal.tests import browser as shared_browser
from commonweal.tests import listings as shared
from overview.services import overview_rebuild
from overview.tests.conftest import Movement
from places.models import Place, PlaceKind
from places.services import place_tree_renumber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from shared_browser.launch()


@pytest.fixture
def lane(places: dict[str, Place]) -> Place:
    """A second Oregon county, where no one organizes on housing."""
    county = Place.objects.create(
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
    return county


@pytest.mark.parametrize("width", shared_browser.WIDTHS.values(), ids=shared_browser.WIDTHS)
def test_a_state_shows_where_no_one_organizes_on_housing(
    browser: Any, live_server: Any, lane: Place, movement: Movement, width: int
) -> None:
    overview_rebuild()
    oregon = movement.places["oregon"]
    page = shared_browser.new_page(browser, width)
    # Map tiles come from the internet; the test needs only our own circles.
    page.route(
        "**/*.png",
        lambda route: route.abort() if "/static/" not in route.request.url else route.continue_(),
    )
    page.goto(f"{live_server.url}/places/{oregon.slug}/")
    page.click("text=Bird's-eye view of Oregon")
    page.wait_for_url(f"**/overview/{oregon.slug}/")
    assert page.locator("h1").inner_text() == "Bird's-eye view of Oregon"

    # The heat map: Lane County's housing cell is a gap, said in its text and title.
    row = page.locator(f'tr[data-place="{lane.slug}"]')
    housing = row.locator(f'a[href$="place={lane.slug}&issue=housing"]')
    assert housing.inner_text() == "0"
    assert "no one organizes this here yet" in housing.get_attribute("title")
    assert "gap" in (housing.locator("xpath=..").get_attribute("class") or "")
    covered = page.locator(f'tr[data-place="{movement.places["multnomah"].slug}"]')
    assert covered.locator('a[href$="issue=housing"]').inner_text() == "2"

    # The map for housing: Lane County's outline is a red-bordered blank, Multnomah's shaded;
    # and Lane County is named in the list of gaps.
    page.select_option("#id_issue", "housing")
    page.click("button:has-text('Show')")
    page.wait_for_url("**issue=housing**")
    page.wait_for_selector("path.gap-area")
    assert page.locator("path.gap-area").count() == 1
    assert page.locator("path.cover-area").count() == 1
    page.locator("path.gap-area").hover(force=True)
    assert "Lane County: No one organizes Housing here" in page.inner_text(".leaflet-tooltip")
    gaps = page.locator(".gap-places").inner_text()
    assert "Lane County" in gaps and "Multnomah" not in gaps
    assert "No one organizes Housing in 1 place" in page.inner_text("#gap-list-title")

    # Nothing pushes the page sideways: the matrix scrolls inside its own box on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert shared_browser.fits(page, "#gap-map")

    # Up a level, the United States: the chapter that alone links two city tables is named
    # and drawn, and the drawing too scrolls inside its own box.
    page.click("nav.breadcrumb >> text=United States")
    page.wait_for_url("**/overview/united-states/")
    assert "is the only link between" in page.inner_text(".bridges")
    assert page.locator("svg.bridge-graph .is-group").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.context.close()


@pytest.mark.parametrize("width", shared_browser.WIDTHS.values(), ids=shared_browser.WIDTHS)
def test_the_world_opens_with_the_busiest_countries_and_shows_them_all(
    browser: Any,
    live_server: Any,
    movement: Movement,
    width: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from overview import selectors

    # Here the world has a few countries; at full size the page opens with 60 of 250.
    monkeypatch.setattr(selectors, "SHOWN_ROWS", 1)
    overview_rebuild()
    world = movement.places["world"]
    page = shared_browser.new_page(browser, width)
    page.route(
        "**/*.png",
        lambda route: route.abort() if "/static/" not in route.request.url else route.continue_(),
    )
    page.goto(f"{live_server.url}/overview/{world.slug}/")
    assert page.locator("#matrix tbody tr").count() == 1
    page.click("#show-all-rows")
    page.wait_for_url("**rows=all**")
    assert page.locator("#matrix tbody tr").count() > 1
    assert page.locator("#show-all-rows").count() == 0
    # Sorted by total, still every row.
    page.click("#matrix thead >> text=All issues")
    page.wait_for_url("**sort=total**")
    assert "rows=all" in page.url
    assert page.locator("#matrix tbody tr").count() > 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.context.close()
