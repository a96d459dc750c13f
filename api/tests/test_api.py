import json

import pytest
from django.test import Client

from coalitions import services as coalition_services
from coalitions.models import Membership, MembershipStatus
from directory import services

PRIVATE_EMAIL = "never-publish-this-7f3a@example.org"


@pytest.fixture
def listed(places, organizer, member):
    """A group with a private contact, a coalition, and a hidden listing."""
    group = services.organization_create(
        user=organizer,
        name="Portland Tenants Union",
        home_place=places["portland"],
        description="Renters organizing against evictions.",
        issue_areas=["housing"],
        public_email="hello@example.org",
    )
    services.private_contact_update(
        user=organizer,
        organization=group,
        name="Chair Person",
        email=PRIVATE_EMAIL,
        phone="+1 555 0100",
    )
    coalition = services.organization_create(
        user=member, name="Oregon Housing Coalition", kind="coalition", home_place=places["oregon"]
    )
    hidden = services.organization_create(
        user=organizer, name="Hidden Group", home_place=places["portland"]
    )
    services.organization_moderate(
        user=services_site_coordinator(), organization=hidden, is_hidden=True, reason="test"
    )
    services.organization_create(
        user=member,
        name="Oakland Transit Riders",
        home_place=places["oakland"],
        issue_areas=["transportation"],
    )
    return {"group": group, "coalition": coalition, "hidden": hidden}


def services_site_coordinator():
    from accounts.models import User

    return User.objects.get_or_create(
        email="moderator@example.org", defaults={"is_site_coordinator": True}
    )[0]


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:500])
    return response.json()


def test_it_pages_organizations_as_items_and_count(client, listed):
    body = get(client, "/api/organizations?limit=1")
    assert set(body) == {"items", "count", "serving_elsewhere", "serving_elsewhere_count"}
    assert body["count"] == 3
    assert len(body["items"]) == 1
    assert body["items"][0]["name"] == "Oakland Transit Riders"
    second = get(client, "/api/organizations?limit=1&offset=1")
    assert second["count"] == 3 and second["items"][0]["name"] == "Oregon Housing Coalition"


def test_it_filters_like_the_directory_search(client, listed):
    def found(query):
        return [o["name"] for o in get(client, f"/api/organizations?{query}")["items"]]

    assert found("q=evictions") == ["Portland Tenants Union"]
    assert found("place=cascadia") == ["Oregon Housing Coalition", "Portland Tenants Union"]
    assert found("issue=housing&place=cascadia") == ["Portland Tenants Union"]
    assert found("kind=coalition") == ["Oregon Housing Coalition"]
    assert found("status=inactive") == []
    near = get(
        client,
        "/api/organizations?near=united-states-california-alameda-county-berkeley&radius_km=25",
    )
    assert [o["name"] for o in near["items"]] == ["Oakland Transit Riders"]
    assert 5 < near["items"][0]["distance_km"] < 10


def test_it_shows_one_organization_with_its_issues_and_place(client, listed):
    body = get(client, f"/api/organizations/{listed['group'].slug}")
    assert body["issue_areas"] == ["housing"]
    assert body["home_place"]["name"] == "Portland"
    assert body["public_email"] == "hello@example.org"
    assert get(client, f"/api/organizations/{listed['group'].pk}")["slug"] == listed["group"].slug


def test_it_keeps_hidden_listings_out(client, listed, organizer):
    assert "Hidden Group" not in json.dumps(get(client, "/api/organizations?limit=100"))
    get(client, f"/api/organizations/{listed['hidden'].slug}", status=404)
    client.force_login(organizer)
    get(client, f"/api/organizations/{listed['hidden'].slug}", status=404)


def test_it_names_the_field_of_bad_input(client, listed):
    cases = [
        ("/api/organizations?kind=cult", 422, "kind"),
        ("/api/organizations?status=asleep", 422, "status"),
        ("/api/organizations?place=atlantis", 400, "place"),
        ("/api/organizations?near=atlantis", 400, "near"),
        ("/api/organizations?issue=astrology", 400, "issue"),
        ("/api/organizations?radius_km=-3&near=world", 422, "radius_km"),
        ("/api/organizations?radius_km=nan", 422, "radius_km"),
        ("/api/organizations?near=world", 400, "near"),
        ("/api/organizations?limit=0", 422, "limit"),
        ("/api/organizations?limit=1000", 422, "limit"),
        ("/api/organizations?offset=-1", 422, "offset"),
        ("/api/organizations?offset=999999999", 422, "offset"),
        ("/api/places?parent=atlantis", 400, "parent"),
        ("/api/places/atlantis", 404, "slug"),
        ("/api/coalitions?place=atlantis", 400, "place"),
    ]
    for url, status, field in cases:
        body = get(client, url, status=status)
        assert any(field in item["loc"] for item in body["detail"]), (url, body)


def test_it_never_answers_a_server_error_to_odd_input(client, listed):
    for url in [
        "/api/organizations?q=%22%2A%28%29%5E",
        "/api/organizations?q=" + "x" * 201,
        "/api/organizations/" + "9" * 30,
        "/api/organizations/%E2%80%94",
        "/api/coalitions/" + listed["group"].slug,
        "/api/coalitions/" + "9" * 30 + "/members",
        "/api/coalitions/" + listed["coalition"].slug + "/graph?depth=99",
    ]:
        assert client.get(url).status_code < 500, url


def test_it_describes_places_with_ancestors_and_regions(client, listed):
    body = get(client, "/api/places/united-states-oregon-multnomah-county-portland")
    assert [p["name"] for p in body["ancestors"]] == [
        "World",
        "United States",
        "Oregon",
        "Multnomah County",
    ]
    assert [p["name"] for p in body["regions"]] == ["Cascadia"]
    assert body["organizations"] == 1
    cascadia = get(client, "/api/places/cascadia")
    assert len(cascadia["members"]) == 4
    assert cascadia["organizations"] == 2 and cascadia["coalitions"] == 1
    children = get(client, "/api/places?parent=united-states")
    assert [p["name"] for p in children["items"]] == [
        "California",
        "New York",
        "Oregon",
        "Washington",
    ]
    assert get(client, "/api/places")["items"][0]["slug"] == "world"
    assert [p["slug"] for p in get(client, "/api/places?kind=bioregion")["items"]] == ["cascadia"]


def test_it_lists_issue_areas_with_their_crosshatches(client, db):
    body = get(client, "/api/issue-areas")
    housing = next(a for a in body if a["slug"] == "housing")
    assert "transportation" in [r["slug"] for r in housing["related"]]


def test_it_runs_membership_requests_through_the_session(
    client, listed, organizer, member, outsider
):
    payload = {"coalition": listed["coalition"].slug, "member": listed["group"].slug}
    assert (
        client.post("/api/memberships", payload, content_type="application/json").status_code == 401
    )
    client.force_login(outsider)
    assert (
        client.post("/api/memberships", payload, content_type="application/json").status_code == 403
    )
    client.force_login(organizer)
    response = client.post("/api/memberships", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    membership = response.json()
    assert membership["status"] == "requested"
    # The asking side cannot accept its own request.
    assert client.post(f"/api/memberships/{membership['id']}/accept").status_code == 403
    client.force_login(outsider)
    assert client.post(f"/api/memberships/{membership['id']}/accept").status_code == 404
    client.force_login(member)
    assert [m["id"] for m in get(client, "/api/memberships/awaiting")] == [membership["id"]]
    accepted = client.post(f"/api/memberships/{membership['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    members = get(client, f"/api/coalitions/{listed['coalition'].slug}/members")
    assert [m["name"] for m in members["items"]] == ["Portland Tenants Union"]
    coalitions = get(client, f"/api/organizations/{listed['group'].slug}/coalitions")
    assert [c["name"] for c in coalitions["items"]] == ["Oregon Housing Coalition"]
    graph = get(client, f"/api/coalitions/{listed['coalition'].slug}/graph")
    assert graph["edges"] == [[listed["coalition"].slug, listed["group"].slug]]


def test_it_names_the_field_of_a_bad_membership_request(client, listed, organizer):
    client.force_login(organizer)
    cases = [
        ({"coalition": "nothing-here", "member": listed["group"].slug}, 404, "coalition"),
        ({"coalition": listed["coalition"].slug, "member": "nothing-here"}, 404, "member"),
        ({"coalition": listed["group"].slug, "member": listed["group"].slug}, 400, "member"),
        ({"coalition": listed["coalition"].slug}, 422, "member"),
    ]
    for payload, status, field in cases:
        response = client.post("/api/memberships", payload, content_type="application/json")
        assert response.status_code == status, (payload, response.content)
        assert any(field in item["loc"] for item in response.json()["detail"]), response.content
    assert client.get("/api/memberships").status_code == 405


def test_it_requires_the_csrf_token_for_session_writes(listed, organizer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    payload = {"coalition": listed["coalition"].slug, "member": listed["group"].slug}
    response = client.post("/api/memberships", payload, content_type="application/json")
    assert response.status_code == 403
    assert not Membership.objects.exists()


def test_it_shows_pending_memberships_only_to_the_sides_admins(client, listed, organizer, member):
    coalition_services.membership_request(
        user=organizer, coalition=listed["coalition"], member=listed["group"]
    )
    url = f"/api/organizations/{listed['group'].slug}/memberships"
    assert get(client, url)["count"] == 0
    client.force_login(organizer)
    assert [m["status"] for m in get(client, url)["items"]] == [MembershipStatus.REQUESTED]


def test_it_never_shows_private_contact_anywhere(
    client, listed, organizer, member, site_coordinator
):
    coalition_services.membership_request(
        user=organizer, coalition=listed["coalition"], member=listed["group"]
    )
    group, coalition = listed["group"].slug, listed["coalition"].slug
    urls = [
        "/api/openapi.json",
        "/api/organizations",
        "/api/organizations?q=renters",
        "/api/organizations?near=cascadia&radius_km=500",
        f"/api/organizations/{group}",
        f"/api/organizations/{group}/coalitions",
        f"/api/organizations/{group}/memberships",
        "/api/coalitions",
        f"/api/coalitions/{coalition}",
        f"/api/coalitions/{coalition}/members",
        f"/api/coalitions/{coalition}/graph",
        "/api/places/cascadia",
        "/api/places/united-states-oregon-multnomah-county-portland",
        "/api/memberships/awaiting",
        "/api/issue-areas",
    ]
    # Even the people allowed to see the private contact elsewhere do not get it here.
    for user in (None, organizer, member, site_coordinator):
        if user is not None:
            client.force_login(user)
        for url in urls:
            text = client.get(url).content.decode()
            assert PRIVATE_EMAIL not in text, url
            assert "Chair Person" not in text and "555 0100" not in text, url
    schema = get(client, "/api/openapi.json")
    assert "private" not in json.dumps(schema).lower()


def test_it_publishes_an_openapi_description(client, db):
    schema = get(client, "/api/openapi.json")
    assert "/api/organizations" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/organizations"]["get"]["parameters"]}
    assert {
        "q",
        "place",
        "issue",
        "kind",
        "status",
        "near",
        "radius_km",
        "limit",
        "offset",
    } <= params
