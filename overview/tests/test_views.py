"""The bird's-eye page: the matrix, the gaps, the bridges, honest empty states, and refusals."""

import re

import pytest
from django.test import Client

from commonweal.tests.listings import PRIVATE_EMAIL
from directory.models import PrivateContact
from overview.services import overview_rebuild
from overview.tests.conftest import Movement

pytestmark = pytest.mark.django_db


def cell_title(html: str, place_slug: str, issue: str = "") -> str:
    """The title of a place's cell for an issue (all issues when none) in the matrix."""
    row = html.split(f'<tr data-place="{place_slug}">')[1].split("</tr>")[0]
    link = f"place={place_slug}&amp;issue={issue}" if issue else f'place={place_slug}"'
    return row.split(link)[1].split('title="')[1].split('"')[0]


def test_it_shows_a_states_sub_places_by_issue(client: Client, movement: Movement) -> None:
    overview_rebuild()
    page = client.get("/overview/united-states/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Figures computed" in html
    # Oregon has housing groups; New York has none: a gap, said in words, not colour alone.
    oregon = movement.places["oregon"].slug
    title = cell_title(html, oregon, "housing")
    assert title.startswith("based here 3; serving from elsewhere 0; coalitions 1;")
    new_york = movement.places["new_york"].slug
    assert cell_title(html, new_york, "housing") == "no one organizes this here yet"
    # Each cell leads to the directory filtered to that place and issue.
    assert f'href="/directory/?place={oregon}&amp;issue=housing"' in html
    # The sub-place leads to its own bird's-eye view.
    assert f'href="/overview/{oregon}/"' in html


def test_it_sorts_by_an_issue(client: Client, movement: Movement) -> None:
    overview_rebuild()
    html = client.get("/overview/united-states/?sort=housing&order=desc").content.decode()
    assert '<th scope="col" aria-sort="descending" class="issue-col"><a href="?sort=housing' in html
    rows = re.findall(r'<tr data-place="united-states-([^"]+)"', html)
    assert rows[0] == "oregon"
    assert rows[-1] in {"california", "new-york"}
    html = client.get("/overview/united-states/?sort=nonsense").content.decode()
    assert re.findall(r'<tr data-place="united-states-([^"]+)"', html) == [
        "california",
        "new-york",
        "oregon",
        "washington",
    ]


def test_it_lists_the_gaps_for_an_issue(client: Client, movement: Movement) -> None:
    overview_rebuild()
    html = client.get(
        f"/overview/{movement.places['california'].slug}/?issue=housing"
    ).content.decode()
    # The Portland chapter serves Eureka (Humboldt County): Alameda has no one on housing.
    assert "No one organizes Housing in 1 place:" in html
    gaps = html.split('class="gap-places"')[1].split("</ul>")[0]
    assert "Alameda County" in gaps and "Humboldt County" not in gaps
    assert '"name": "Humboldt County"' in html  # on the map, as a covered point


def test_it_names_the_fragile_bridges(client: Client, movement: Movement) -> None:
    overview_rebuild()
    html = client.get("/overview/united-states/").content.decode()
    assert "Cascade Housing Chapter</a> is the only link between" in html
    assert '<svg class="bridge-graph"' in html
    html = client.get("/overview/cascadia/").content.decode()
    assert 'id="no-bridges"' in html


def test_it_works_for_an_overlay_region(client: Client, movement: Movement) -> None:
    overview_rebuild()
    html = client.get("/overview/cascadia/").content.decode()
    p = movement.places
    assert re.findall(r'<tr data-place="([^"]+)"', html) == [
        p[k].slug for k in ("bc", "humboldt", "multnomah", "oregon", "washington")
    ]


def test_it_says_when_a_place_has_no_sub_places(client: Client, movement: Movement) -> None:
    overview_rebuild()
    html = client.get(f"/overview/{movement.places['portland'].slug}/").content.decode()
    assert 'id="no-sub-places"' in html
    totals = html.split('<tr class="totals">')[1].split("</tr>")[0]
    assert totals.startswith('<th scope="row">Portland</th>')
    assert 'title="based here 2;' in totals.split("</td>")[-2]  # all issues


def test_it_says_the_figures_are_not_counted_yet(client: Client, movement: Movement) -> None:
    html = client.get(f"/overview/{movement.places['oregon'].slug}/").content.decode()
    assert "The figures have not been counted yet" in html
    assert 'id="matrix"' not in html


def test_it_never_shows_private_contact_or_hidden_groups(
    client: Client, movement: Movement
) -> None:
    PrivateContact.objects.create(organization=movement.orgs["chapter"], email=PRIVATE_EMAIL)
    overview_rebuild()
    for key in ("world", "us", "oregon", "cascadia", "portland"):
        html = client.get(f"/overview/{movement.places[key].slug}/").content.decode()
        assert PRIVATE_EMAIL not in html
        assert "Quiet Portland Circle" not in html


def test_it_refuses_other_methods(client: Client, movement: Movement) -> None:
    assert client.post(f"/overview/{movement.places['oregon'].slug}/").status_code == 405
    assert client.post("/overview/").status_code == 405


def test_it_404s_for_an_unknown_place(client: Client, movement: Movement) -> None:
    assert client.get("/overview/atlantis/").status_code == 404


def test_the_index_opens_the_worlds_view(client: Client, movement: Movement) -> None:
    response = client.get("/overview/")
    assert response.status_code == 302
    assert response["Location"] == "/overview/world/"


def test_the_place_coalition_and_directory_pages_link_here(
    client: Client, movement: Movement
) -> None:
    p = movement.places
    oregon, portland = p["oregon"].slug, p["portland"].slug
    assert f'href="/overview/{oregon}/"' in client.get(f"/places/{oregon}/").content.decode()
    html = client.get(f"/coalitions/{movement.orgs['pdx'].slug}/").content.decode()
    assert f'href="/overview/{portland}/"' in html
    html = client.get(f"/directory/?place={oregon}").content.decode()
    assert f'href="/overview/{oregon}/"' in html
    assert 'href="/overview/"' in html  # the nav


def test_it_escapes_place_names_in_the_matrix(client: Client, movement: Movement) -> None:
    Place = type(movement.places["oregon"])
    Place.objects.filter(pk=movement.places["oregon"].pk).update(name='Ore"gon <b>')
    overview_rebuild()
    html = client.get("/overview/united-states/").content.decode()
    assert "<b>" not in html.split('id="matrix"')[1].split("</table>")[0]
    assert "Ore&quot;gon &lt;b&gt;</a></th>" in html


def test_it_keeps_the_busiest_places_when_there_are_too_many(
    client: Client, movement: Movement, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overview import selectors

    monkeypatch.setattr(selectors, "MAX_ROWS", 2)
    monkeypatch.setattr(selectors, "MAX_GAPS", 0)
    overview_rebuild()
    html = client.get("/overview/united-states/?issue=housing").content.decode()
    rows = re.findall(r'<tr data-place="united-states-([^"]+)"', html)
    assert sorted(rows) == ["california", "oregon"] or sorted(rows) == ["oregon", "washington"]
    assert "2 more places are left out for room" in html
    assert "No one organizes Housing in 1 place:" in html
    assert "…and 1 more place." in html


def test_it_shows_the_new_figures_after_a_rebuild(client: Client, movement: Movement) -> None:
    overview_rebuild()
    oregon = movement.places["oregon"].slug
    html = client.get("/overview/united-states/").content.decode()
    assert cell_title(html, oregon, "housing").startswith("based here 3;")
    Organization = type(movement.orgs["state"])
    Organization.objects.filter(pk=movement.orgs["state"].pk).update(is_hidden=True)
    html = client.get("/overview/united-states/").content.decode()
    assert cell_title(html, oregon, "housing").startswith("based here 3;")  # until recounted
    overview_rebuild()
    html = client.get("/overview/united-states/").content.decode()
    assert cell_title(html, oregon, "housing").startswith("based here 2;")


def test_it_ignores_an_unknown_issue_rather_than_failing(
    client: Client, movement: Movement
) -> None:
    overview_rebuild()
    response = client.get("/overview/united-states/?issue=nonsense&sort=%00&order=sideways")
    assert response.status_code == 200
    assert "Coverage in United States" in response.content.decode()


def test_it_leads_on_to_the_regions(client: Client, movement: Movement) -> None:
    overview_rebuild()
    html = client.get("/overview/world/").content.decode()
    assert 'href="/overview/cascadia/">Cascadia</a>' in html
    html = client.get(f"/overview/{movement.places['oregon'].slug}/").content.decode()
    assert 'href="/overview/cascadia/">Cascadia</a>' in html
    assert 'href="/overview/pacific-northwest-us/">Pacific Northwest (US)</a>' in html


def test_it_opens_with_the_busiest_places_and_links_to_all(
    client: Client, movement: Movement, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phone opens the world's page: the busiest countries first, every one a click away.
    from overview import selectors

    monkeypatch.setattr(selectors, "SHOWN_ROWS", 2)
    overview_rebuild()
    html = client.get("/overview/united-states/").content.decode()
    first = re.findall(r'<tr data-place="united-states-([^"]+)"', html)
    assert len(first) == 2
    every = selectors.overview_for_place(movement.places["us"], every=True).rows
    assert len(every) > 2
    assert f"Show {len(every)} places" in html
    assert 'href="?rows=all&amp;sort=name&amp;order=asc"' in html
    html = client.get("/overview/united-states/?rows=all").content.decode()
    assert len(re.findall(r'<tr data-place="united-states-', html)) == len(every)
    assert 'id="show-all-rows"' not in html
    # Sorting and choosing an issue keep every row.
    assert "?sort=total&amp;order=desc&amp;rows=all" in html
    assert '<input type="hidden" name="rows" value="all">' in html
