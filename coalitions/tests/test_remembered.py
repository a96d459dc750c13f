"""A coalition's page remembers its sums between views (per process), and forgets them as soon
as a membership, a member's listing or a coalition in its graph changes: the page and its map
never show yesterday's members. A change to a listing outside it keeps them."""

from datetime import timedelta

import pytest
from django.test import Client

from coalitions import remembered, services
from coalitions.models import Membership
from directory import services as directory_services
from directory.models import IssueArea

# Committed, as on a live server: inside a test's transaction the page does not remember.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _nothing_remembered():
    remembered.forget()
    yield
    remembered.forget()


@pytest.fixture
def no_look_back(monkeypatch):
    # One process, one clock, committed at once: no need to look back past the last look,
    # which would see the joining member's own stamp from a moment ago.
    monkeypatch.setattr(remembered, "LOOK_BACK", timedelta(0))


def member_count(client: Client, slug: str) -> int:
    summary = client.get(f"/coalitions/{slug}/").context["members"]
    return int(summary.total)


def test_it_remembers_the_sums_between_two_views(cast):
    client = Client()
    client.get(f"/coalitions/{cast.coalition.slug}/")
    kinds = {key[2].split(":")[0]: key for key in remembered._remembered}
    assert set(kinds) == {"sums", "graph"}
    # What each member adds, and their order for the list, is kept beside the stamp.
    assert remembered._stamps[cast.coalition.pk].tally is not None
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


def _joined(cast, organizer, member) -> None:
    asked = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=asked)


def _sums_key() -> tuple[int, int, str]:
    # The newest: a recount leaves the old generation's entry until it is pushed out.
    return [key for key in remembered._remembered if key[2].startswith("sums")][-1]


def test_a_change_to_an_unrelated_listing_keeps_the_sums(
    cast, organizer, member, outsider, no_look_back
):
    _joined(cast, organizer, member)
    client = Client()
    slug = cast.coalition.slug
    assert member_count(client, slug) == 1
    first = remembered._remembered[_sums_key()]
    # Salem Food Share is no member: its change moves the directory version all the same.
    directory_services.organization_update(
        user=outsider, organization=cast.other_group, description="Now also on Saturdays."
    )
    assert member_count(client, slug) == 1
    assert remembered._remembered[_sums_key()] is first


def test_a_members_listing_change_shows_on_the_next_view(cast, organizer, member, no_look_back):
    _joined(cast, organizer, member)
    client = Client()
    slug = cast.coalition.slug
    assert client.get(f"/coalitions/{slug}/").context["issue_mix"] == []
    first = remembered._remembered[_sums_key()]
    housing = IssueArea.objects.get(name="Housing")
    directory_services.organization_set_issue_areas(
        user=organizer, organization=cast.group, issue_areas=[housing]
    )
    mix = client.get(f"/coalitions/{slug}/").context["issue_mix"]
    assert [(share.area.name, share.count) for share in mix] == [("Housing", 1)]
    assert remembered._remembered[_sums_key()] is not first
    directory_services.organization_update(
        user=organizer, organization=cast.group, name="Portland Renters Union"
    )
    assert "Portland Renters Union" in client.get(f"/coalitions/{slug}/").content.decode()


def test_a_coalition_joining_one_in_the_graph_shows_on_the_next_view(cast, member, no_look_back):
    client = Client()
    slug = cast.alliance.slug
    assert client.get(f"/coalitions/{slug}/").context["below"] == []
    asked = services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    if asked.status != "active":
        services.membership_accept(user=member, membership=asked)
    below = client.get(f"/coalitions/{slug}/").context["below"]
    assert [org.name for org in below] == ["Oregon Housing Coalition"]


def test_a_members_change_from_a_long_import_shows_on_the_next_view(
    cast, organizer, member, no_look_back
):
    # An import's transaction stamps its listings when it writes them, perhaps an hour before
    # it commits: a run that finished since the last look is looked at from its start.
    from datetime import timedelta as td

    from django.utils import timezone

    from directory.models import Organization
    from directory.services import directory_touch
    from sources.models import ImportRun, RunStatus, Source

    _joined(cast, organizer, member)
    client = Client()
    slug = cast.coalition.slug
    written = timezone.now() - td(minutes=30)
    assert member_count(client, slug) == 1
    # Written half an hour ago inside the import, committed only now.
    Organization.objects.filter(pk=cast.group.pk).update(is_hidden=True, updated_at=written)
    source = Source.objects.create(name="County list")
    ImportRun.objects.create(
        source=source, status=RunStatus.DONE, started_at=written, finished_at=timezone.now()
    )
    directory_touch()
    assert member_count(client, slug) == 0
