from coalitions import selectors, services
from directory.models import Organization


def test_it_lists_coalitions_at_exactly_a_place(cast, places):
    assert list(selectors.coalitions_at_place(places["oregon"])) == [cast.coalition]
    assert list(selectors.coalitions_at_place(places["us"])) == []


def test_it_walks_the_graph_both_ways(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=m)
    services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    graph = selectors.coalition_graph(cast.coalition, 2)
    assert graph.levels == {cast.coalition.pk: 0, cast.group.pk: 1, cast.alliance.pk: -1}
    assert sorted(graph.edges) == sorted(
        [(cast.coalition.pk, cast.group.pk), (cast.alliance.pk, cast.coalition.pk)]
    )
    assert set(selectors.coalition_graph(cast.alliance, 1).levels) == {
        cast.alliance.pk,
        cast.coalition.pk,
    }
    assert selectors.contained_ids([cast.alliance.pk]) == {cast.coalition.pk, cast.group.pk}


def test_it_leaves_hidden_members_out(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=m)
    Organization.objects.filter(pk=cast.group.pk).update(is_hidden=True)
    assert list(selectors.coalition_members(cast.coalition)) == []
    assert cast.group.pk not in selectors.coalition_graph(cast.coalition, 2).nodes
