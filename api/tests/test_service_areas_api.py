"""The API shows where groups serve and their kept links, and searches by place find groups that
serve the place from elsewhere (issue 10)."""

import pytest

from directory import services

PRIVATE_EMAIL = "chair-private-5d1e@example.org"


@pytest.fixture
def chapter(places, organizer):
    org = services.organization_create(
        user=organizer,
        name="Cascade Socialists",
        home_place=places["portland"],
        description="A chapter.",
        issue_areas=["housing"],
    )
    services.private_contact_update(
        user=organizer, organization=org, name="Chair", email=PRIVATE_EMAIL, phone="+1 555 0199"
    )
    org.service_areas.set([places["eureka"], places["seattle"]])
    org.links = [
        {"label": "Support Request", "url": "https://example.org/help"},
        {"label": "Old", "url": "javascript:alert(1)"},
        {"label": "Mail the chair", "url": f"mailto:{PRIVATE_EMAIL}"},
    ]
    org.save()
    services.organization_create(
        user=organizer, name="Eureka Watershed Defenders", home_place=places["eureka"]
    )
    services.directory_touch()
    return org


def test_an_organization_shows_its_service_areas_and_links(client, chapter, places):
    body = client.get(f"/api/organizations/{chapter.slug}").json()
    assert body["service_areas"] == [
        {"slug": p.slug, "name": p.name, "kind": "locality"}
        for p in (places["eureka"], places["seattle"])
    ]
    assert body["service_area_count"] == 2
    assert body["links"] == [{"label": "Support Request", "url": "https://example.org/help"}]


def test_lists_carry_them_and_never_private_contact(client, chapter):
    response = client.get("/api/organizations", {"q": "cascade"})
    text = response.content.decode()
    assert PRIVATE_EMAIL not in text and "555 0199" not in text
    item = response.json()["items"][0]
    assert [a["name"] for a in item["service_areas"]] == ["Eureka", "Seattle"]


def test_a_search_by_place_lists_groups_serving_it_from_elsewhere(client, chapter, places):
    body = client.get("/api/organizations", {"place": places["eureka"].slug}).json()
    assert [o["name"] for o in body["items"]] == ["Eureka Watershed Defenders"]
    assert [o["name"] for o in body["serving_elsewhere"]] == ["Cascade Socialists"]
    assert body["serving_elsewhere_count"] == 1
    region = client.get("/api/organizations", {"place": places["cascadia"].slug}).json()
    # Based in Cascadia (Portland): listed once, among the groups based there.
    assert "Cascade Socialists" in [o["name"] for o in region["items"]]
    assert region["serving_elsewhere"] == []
    # Later pages repeat nothing: the serving groups come with the first page.
    later = client.get("/api/organizations", {"place": places["eureka"].slug, "offset": 20}).json()
    assert later["serving_elsewhere"] == [] and later["serving_elsewhere_count"] == 1
