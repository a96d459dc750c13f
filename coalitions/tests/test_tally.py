"""A coalition's sums are adjusted member by member when a few members change, and always equal
a recount: after each of a random run of listing and membership changes, the adjusted sums are
those counted afresh, and the page shows them."""

import random

import pytest
from django.test import Client

from coalitions import remembered, services
from coalitions.models import Membership
from coalitions.selectors import (
    MemberSummary,
    coalition_coverage,
    coalition_sums,
    coalition_tree,
)
from coalitions.tally import tally_build
from directory import services as directory_services
from directory.models import IssueArea, Organization
from sources.services.provenance import field_set

# Committed, as on a live server: inside a test's transaction nothing is kept.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _nothing_remembered():
    remembered.forget()
    yield
    remembered.forget()


@pytest.fixture
def counted(monkeypatch):
    """How many times a coalition's members were counted from scratch."""
    calls: list[int] = []
    real = remembered.tally_build

    def counting(coalition):
        calls.append(coalition.pk)
        return real(coalition)

    monkeypatch.setattr(remembered, "tally_build", counting)
    return calls


def _join(user, coalition, group) -> Membership:
    # `user` administers both sides, so the membership starts active.
    return services.membership_request(user=user, coalition=coalition, member=group)


def _page(client: Client, slug: str):
    return client.get(f"/coalitions/{slug}/").context


def test_a_members_issue_change_adjusts_the_sums_without_a_recount(
    cast, organizer, member, counted
):
    asked = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=asked)
    client = Client()
    slug = cast.coalition.slug
    assert _page(client, slug)["issue_mix"] == []
    assert counted == [cast.coalition.pk]
    housing = IssueArea.objects.get(name="Housing")
    directory_services.organization_set_issue_areas(
        user=organizer, organization=cast.group, issue_areas=[housing]
    )
    mix = _page(client, slug)["issue_mix"]
    assert [(share.area.name, share.count) for share in mix] == [("Housing", 1)]
    # Adjusted by re-reading the one member, not counted again.
    assert counted == [cast.coalition.pk]


def test_a_member_joining_and_leaving_shows_on_the_next_view_without_a_recount(
    cast, member, counted
):
    client = Client()
    slug = cast.coalition.slug
    group = directory_services.organization_create(
        user=member, name="Albany Renters", home_place=cast.coalition.home_place
    )
    assert _page(client, slug)["members"].total == 0
    joined = _join(member, cast.coalition, group)
    page = _page(client, slug)
    assert page["members"].total == 1
    assert [org.name for org in page["members"].items] == ["Albany Renters"]
    services.membership_leave(user=member, membership=joined)
    assert _page(client, slug)["members"].total == 0
    assert counted == [cast.coalition.pk]


def test_a_members_listing_change_keeps_the_graph(cast, organizer, member, places):
    asked = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=asked)
    client = Client()
    slug = cast.coalition.slug
    _page(client, slug)
    graph_before = remembered._stamps[cast.coalition.pk].graph
    members_before = remembered._stamps[cast.coalition.pk].members
    directory_services.organization_update(
        user=organizer, organization=cast.group, home_place=places["multnomah"]
    )
    _page(client, slug)
    stamp = remembered._stamps[cast.coalition.pk]
    # The sums moved on; the graph (coalitions only) did not need to.
    assert stamp.members != members_before
    assert stamp.graph == graph_before


def test_a_coalition_joining_renews_the_graph_but_not_the_sums_of_the_one_above(cast, member):
    client = Client()
    _page(client, cast.alliance.slug)
    before = remembered._stamps[cast.alliance.pk]
    _join(member, cast.alliance, cast.coalition)
    below = _page(client, cast.alliance.slug)["below"]
    assert [org.name for org in below] == ["Oregon Housing Coalition"]
    after = remembered._stamps[cast.alliance.pk]
    assert after.graph != before.graph
    # A member that is itself a coalition counts as one member like any other.
    assert _page(client, cast.alliance.slug)["members"].total == 1


def test_a_group_joining_keeps_the_graph_and_a_renamed_coalition_in_it_renews_it(cast, member):
    client = Client()
    _join(member, cast.alliance, cast.coalition)
    _page(client, cast.alliance.slug)
    before = remembered._stamps[cast.alliance.pk].graph
    group = directory_services.organization_create(user=member, name="Bend Tenants")
    # Both sides are stamped; a group is not drawn in the graph.
    _join(member, cast.alliance, group)
    assert _page(client, cast.alliance.slug)["members"].total == 2
    assert remembered._stamps[cast.alliance.pk].graph == before
    directory_services.organization_update(
        user=member, organization=cast.coalition, name="Oregon Housing Network"
    )
    below = _page(client, cast.alliance.slug)["below"]
    assert [org.name for org in below] == ["Oregon Housing Network"]
    # Deleted outright, from the admin: nothing stamped, gone from the drawing all the same.
    Organization.objects.filter(pk=cast.coalition.pk).delete()
    directory_services.directory_touch()
    assert _page(client, cast.alliance.slug)["below"] == []


def test_a_member_deleted_outright_is_gone_from_the_next_view(cast, member, counted):
    client = Client()
    slug = cast.coalition.slug
    group = directory_services.organization_create(user=member, name="Gone Soon")
    _join(member, cast.coalition, group)
    assert _page(client, slug)["members"].total == 1
    # Deleted from the admin: its membership goes with it and no listing is stamped.
    Organization.objects.filter(pk=group.pk).delete()
    directory_services.directory_touch()
    assert _page(client, slug)["members"].total == 0
    assert counted == [cast.coalition.pk, cast.coalition.pk]


def _recounted(coalition, span):
    """The summary and coverage counted afresh, with nothing kept."""
    tally = tally_build(coalition)
    summary = MemberSummary(
        total=len(tally.facts),
        by_lft={k: n for k, n in tally.by_lft.items() if n},
        by_mask={k: n for k, n in tally.by_mask.items() if n},
    )
    return tally, summary, coalition_coverage(tally.served_ranges(), summary, span)


def test_adjusted_sums_equal_a_recount_after_random_changes(
    cast, member, site_coordinator, places, counted
):
    """Thirty groups, forty random steps (issues, home, name, served places, hidden, join,
    leave) and two members deleted outright: after each the kept sums and the page equal a recount."""
    rng = random.Random(12)
    coalition = cast.coalition
    homes = [places[k] for k in ("portland", "multnomah", "oregon", "seattle", "eureka", "nyc")]
    served_choices = [places[k] for k in ("portland", "seattle", "humboldt", "alameda", "oregon")]
    areas = list(IssueArea.objects.all()[:6])
    groups = [
        directory_services.organization_create(
            user=member, name=f"Group {i:02d}", home_place=rng.choice(homes)
        )
        for i in range(30)
    ]
    for group in groups[:15]:
        _join(member, coalition, group)
    client = Client()
    span = coalition.home_place

    def fresh(pk: int) -> Organization:
        return Organization.objects.get(pk=pk)

    deleted = 0
    for step in range(40):
        alive = list(Organization.objects.filter(pk__in=[g.pk for g in groups]))
        group = fresh(rng.choice(alive).pk)
        link = Membership.objects.filter(coalition=coalition, member=group).first()
        what = rng.choice(["issues", "home", "name", "served", "hidden", "join", "leave"])
        if step in (13, 29):
            what = "gone"
            first = Membership.objects.filter(coalition=coalition, status="active").first()
            assert first is not None
            group = first.member
            link = Membership.objects.get(coalition=coalition, member=group)
        if what == "issues":
            directory_services.organization_set_issue_areas(
                user=member, organization=group, issue_areas=rng.sample(areas, rng.randint(0, 3))
            )
        elif what == "home":
            directory_services.organization_update(
                user=member, organization=group, home_place=rng.choice(homes)
            )
        elif what == "name":
            directory_services.organization_update(
                user=member, organization=group, name=f"{rng.choice('ABCZ')} group {step}"
            )
        elif what == "served":
            field_set(
                organization=group,
                field="service_areas",
                value=rng.sample(served_choices, rng.randint(0, 3)),
                origin="coordinator",
                by=member,
            )
        elif what == "hidden":
            directory_services.organization_moderate(
                user=site_coordinator, organization=group, is_hidden=not group.is_hidden
            )
        elif what == "join" and link is None:
            _join(member, coalition, group)
        elif what == "leave" and link is not None and link.status == "active":
            services.membership_leave(user=member, membership=link)
        elif what == "gone":
            # A member deleted outright, from the admin: nothing is stamped.
            Organization.objects.filter(pk=group.pk).delete()
            directory_services.directory_touch()
            deleted += 1
        # The page first (it keeps and adjusts), then a recount beside it.
        page = _page(client, coalition.slug)
        kept = remembered.tally_of(coalition)
        tally, summary, coverage = _recounted(coalition, span)
        assert kept.same_as(tally), (step, what)
        shown, shown_coverage = coalition_sums(coalition, span)
        assert summary.total == shown.total == page["members"].total
        assert (summary.by_lft, summary.by_mask) == (shown.by_lft, shown.by_mask), (step, what)
        assert [(c.place.pk, c.count) for c in coverage.covered] == [
            (c.place.pk, c.count) for c in shown_coverage.covered
        ]
        assert [p.pk for p in coverage.served] == [p.pk for p in shown_coverage.served]
        assert [p.pk for p in coverage.gaps] == [p.pk for p in shown_coverage.gaps]
        assert [org.pk for org in page["members"].items] == list(tally.order)[:50]
    # Counted from scratch on the first view and after each member deleted outright only (its
    # memberships vanish unstamped); every other step was adjusted.
    assert len(counted) == 1 + deleted == 3
    assert coalition_tree(coalition).root == coalition
