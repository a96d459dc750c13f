"""A coalition's page remembers its sums between views (per process), and forgets them as soon
as a membership changes: the page and its map never show yesterday's members."""

import pytest
from django.test import Client

from coalitions import remembered, services
from coalitions.models import Membership

# Committed, as on a live server: inside a test's transaction the page does not remember.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _nothing_remembered():
    remembered._remembered.clear()
    yield
    remembered._remembered.clear()


def member_count(client: Client, slug: str) -> int:
    summary = client.get(f"/coalitions/{slug}/").context["members"]
    return int(summary.total)


def test_it_remembers_the_sums_between_two_views(cast):
    client = Client()
    client.get(f"/coalitions/{cast.coalition.slug}/")
    kinds = {key[2].split(":")[0]: key for key in remembered._remembered}
    assert set(kinds) == {"sums", "graph", "ids"}
    first = remembered._remembered[kinds["sums"]]
    key = kinds["sums"]
    client.get(f"/coalitions/{cast.coalition.slug}/")
    # The same sums, not a second count of them.
    assert remembered._remembered[key] is first


def test_it_shows_a_new_member_on_the_next_view(cast, organizer, member):
    client = Client()
    slug = cast.coalition.slug
    assert member_count(client, slug) == 0
    assert client.get(f"/coalitions/{slug}/members.json").json()["points"] == []
    asked = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=asked)
    assert member_count(client, slug) == 1
    page = client.get(f"/coalitions/{slug}/").content.decode()
    assert "Portland Tenants Union" in page
    names = [p["name"] for p in client.get(f"/coalitions/{slug}/members.json").json()["points"]]
    assert names == ["Portland Tenants Union"]


def test_it_drops_a_member_who_left_from_the_next_view(cast, organizer, member):
    client = Client()
    slug = cast.coalition.slug
    asked = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=asked)
    assert member_count(client, slug) == 1
    services.membership_leave(user=organizer, membership=Membership.objects.get(pk=asked.pk))
    assert member_count(client, slug) == 0
