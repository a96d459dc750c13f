"""Whom to meet: ranking and reasons on a hand-made town, checked against networkx itself."""

import math

import networkx as nx
import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import RegionalCoordinator, User
from coalitions.models import CoalitionProfile, Membership, MembershipStatus
from connections import services
from connections.selectors import suggestions_for_coalition, suggestions_for_group
from connections.suggest import km_between, link_scores, tie_graph, words
from connections.tests.conftest import Town
from directory import services as directory_services
from places.models import Place

pytestmark = pytest.mark.django_db


def names(items: list) -> list[str]:
    return [s.name for s in items]


def reasons_of(items: list, name: str) -> list[str]:
    return next(s.reasons for s in items if s.name == name)


def test_it_ranks_nearby_groups_on_related_issues_with_reasons(town: Town, organizer: User) -> None:
    found = suggestions_for_group(organizer, town.tenants)
    # Gresham is furthest but shares a tie (the clinic); the Spanish-speaking housing group
    # next; the transit riders work on an issue that crosshatches with housing. The clinic is
    # already a tie (shared coalition), the food share works on an unrelated issue, Salem and
    # Seattle are outside the county.
    assert names(found.groups) == [
        "Gresham Housing Action",
        "Portland Housing Justice",
        "Eastside Transit Riders",
    ]
    assert reasons_of(found.groups, "Gresham Housing Action") == [
        "12 km away",
        "both on housing",
        "you both work with Clinic Collective",
        "both in the area of Portland Health and Housing",
    ]
    assert reasons_of(found.groups, "Portland Housing Justice") == [
        "8 km away",
        "both on housing",
        "both in the area of Portland Health and Housing",
        "speaks Spanish, which none of your ties do",
    ]
    riders = reasons_of(found.groups, "Eastside Transit Riders")
    assert riders[:2] == [
        "3 km away",
        "works on transportation, which crosshatches with your housing",
    ]
    assert "linked with 1 group none of your ties are linked with" in riders
    assert found.missing == []


def test_bridges_are_groups_reaching_what_the_ties_do_not(town: Town, organizer: User) -> None:
    found = suggestions_for_group(organizer, town.tenants, limit=1)
    assert names(found.groups) == ["Gresham Housing Action"]
    # With one shown above, the bridges list others that reach something new, those that
    # reach most first: the riders know a group none of the union's ties know, and work on an
    # issue none of them works on; the justice group only speaks a language none of them does.
    assert names(found.bridges) == ["Eastside Transit Riders"]
    two = suggestions_for_group(organizer, town.tenants, limit=2)
    assert names(two.groups) == ["Gresham Housing Action", "Portland Housing Justice"]
    assert names(two.bridges) == ["Eastside Transit Riders"]
    assert reasons_of(found.bridges, "Eastside Transit Riders")[-2:] == [
        "linked with 1 group none of your ties are linked with",
        "none of your ties works on transportation",
    ]


def test_it_suggests_coalitions_at_its_level_and_one_up(
    town: Town, organizer: User, member: User, places: dict[str, Place]
) -> None:
    def start(name: str, level: str, span: Place, issues: list[str]) -> None:
        coalition = directory_services.organization_create(
            user=member, name=name, kind="coalition", issue_areas=issues
        )
        CoalitionProfile.objects.create(organization=coalition, level=level, span=span)

    start("Portland Renters Alliance", "city", places["portland"], ["housing"])
    start("Multnomah Housing Network", "county", places["multnomah"], ["housing"])
    start("Oregon Renters Network", "state", places["oregon"], ["housing"])  # two levels up
    start("Seattle Renters Alliance", "city", places["seattle"], ["housing"])  # elsewhere
    start("Portland Arts Council", "city", places["portland"], ["arts-culture"])
    found = suggestions_for_group(organizer, town.tenants)
    assert names(found.coalitions) == [
        "Portland Renters Alliance",
        "Multnomah Housing Network",
        "Portland Arts Council",
    ]
    assert reasons_of(found.coalitions, "Portland Renters Alliance") == [
        "covers Portland, where you are based",
        "a city or town coalition, at your level",
        "both on housing",
    ]
    assert reasons_of(found.coalitions, "Multnomah Housing Network")[1] == (
        "a county or metro area coalition, one level up from yours"
    )


def test_a_region_coalition_covers_groups_inside_its_members(
    town: Town, organizer: User, member: User, places: dict[str, Place]
) -> None:
    coalition = directory_services.organization_create(
        user=member, name="Cascadia Counties", kind="coalition", issue_areas=["housing"]
    )
    # A bioregion spanning coalition at county level, for the sake of the test.
    CoalitionProfile.objects.create(organization=coalition, level="county", span=places["cascadia"])
    found = suggestions_for_group(organizer, town.tenants)
    assert "Cascadia Counties" in names(found.coalitions)


def test_ties_and_dismissals_stop_suggestions(town: Town, organizer: User) -> None:
    services.suggestion_dismiss(
        user=organizer, owner=town.tenants, key=f"org:{town.justice.pk}", label="Justice"
    )
    Membership.objects.create(
        coalition=town.coalition, member=town.riders, status=MembershipStatus.ACTIVE
    )
    found = suggestions_for_group(organizer, town.tenants)
    assert names(found.groups) == ["Gresham Housing Action"]
    services.suggestion_restore(user=organizer, owner=town.tenants, key=f"org:{town.justice.pk}")
    assert "Portland Housing Justice" in names(
        suggestions_for_group(organizer, town.tenants).groups
    )


def test_the_own_town_fills_the_graph_before_the_county(
    town: Town, organizer: User, places: dict[str, Place], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import suggest

    directory_services.organization_create(
        user=None, name="Multnomah Renters", home_place=places["multnomah"], issue_areas=["housing"]
    )
    assert "Multnomah Renters" in names(suggestions_for_group(organizer, town.tenants).groups)
    # Room for only as many as Portland itself holds (the clinic, riders, justice, gresham):
    # the county's listing waits.
    monkeypatch.setattr(suggest, "CANDIDATES", 4)
    assert "Multnomah Renters" not in names(suggestions_for_group(organizer, town.tenants).groups)


def test_honest_empty_states(organizer: User, places: dict[str, Place]) -> None:
    nowhere = directory_services.organization_create(user=organizer, name="Nowhere Group")
    found = suggestions_for_group(organizer, nowhere)
    assert found.groups == found.coalitions == []
    assert found.missing[0].startswith("No suggestions yet: list your issues and service areas")
    placed = directory_services.organization_create(
        user=organizer, name="Placed Group", home_place=places["portland"]
    )
    found = suggestions_for_group(organizer, placed)
    assert found.missing[0].startswith("No suggestions of groups yet: list your issues")


def test_only_admins_and_coordinators_see_suggestions(
    town: Town, outsider: User, regional_coordinator: User, neighbour: User
) -> None:
    with pytest.raises(PermissionDenied):
        suggestions_for_group(outsider, town.tenants)
    with pytest.raises(PermissionDenied):
        suggestions_for_group(neighbour, town.tenants)  # admin of another group
    assert suggestions_for_group(regional_coordinator, town.tenants).groups


def test_coalition_suggestions_and_coverage_gaps(
    town: Town, member: User, places: dict[str, Place]
) -> None:
    network = directory_services.organization_create(
        user=member,
        name="Oregon Housing and Transit",
        kind="coalition",
        issue_areas=["housing", "transportation"],
    )
    CoalitionProfile.objects.create(organization=network, level="state", span=places["oregon"])
    Membership.objects.create(
        coalition=network, member=town.tenants, status=MembershipStatus.ACTIVE
    )
    Membership.objects.create(
        coalition=network, member=town.gresham, status=MembershipStatus.INVITED
    )
    found = suggestions_for_coalition(member, network)
    assert names(found.gap_places) == ["Lane County"]
    assert names(found.gap_issues) == ["Transportation"]
    # Eugene closes the place gap, the transit groups the issue gap (equal weight, then by
    # name); invited Gresham and the
    # member are left out, as are the food share (other issue) and Seattle (outside).
    assert names(found.groups) == [
        "Eastside Transit Riders",
        "Eugene Tenants",
        "Salem Transit Now",
        "Portland Housing Justice",
    ]
    assert reasons_of(found.groups, "Eugene Tenants") == [
        "both on housing",
        "based in Lane County, where you have no member yet",
    ]
    assert reasons_of(found.groups, "Eastside Transit Riders") == [
        "both on transportation",
        "works on transportation, which none of your members do",
    ]
    services.suggestion_dismiss(user=member, owner=network, key="issue:transportation", label="T")
    assert suggestions_for_coalition(member, network).gap_issues == []


def test_coalition_without_area_says_what_is_missing(member: User) -> None:
    bare = directory_services.organization_create(user=member, name="Bare", kind="coalition")
    found = suggestions_for_coalition(member, bare)
    assert found.groups == [] and found.missing[0].startswith("No suggestions yet")


def test_the_tie_graph_matches_networkx_on_a_hand_made_graph(town: Town) -> None:
    ids = [town.tenants.pk, town.clinic.pk, town.gresham.pk, town.riders.pk]
    graph = tie_graph(ids)
    expected = nx.Graph()
    expected.add_nodes_from(ids)
    expected.add_edges_from(
        [
            (town.tenants.pk, town.clinic.pk),  # shared coalition
            (town.clinic.pk, town.gresham.pk),  # an introduction's tie
            (town.riders.pk, town.salem.pk),  # a tie reaching outside the set
        ]
    )
    assert nx.utils.graphs_equal(graph, expected)
    scores = link_scores(graph, town.tenants.pk, [town.gresham.pk, town.riders.pk])
    # Adamic–Adar by its definition: one common neighbour (the clinic) of degree 2.
    assert scores[town.gresham.pk][0] == pytest.approx(1 / math.log(2))
    assert scores[town.gresham.pk][1] == pytest.approx(1 / 2)
    assert scores[town.riders.pk] == (0.0, 0.0)
    direct = {
        v: s for _u, v, s in nx.jaccard_coefficient(graph, [(town.tenants.pk, town.gresham.pk)])
    }
    assert direct[town.gresham.pk] == pytest.approx(1.0)  # both know only the clinic


def test_a_large_coalition_is_a_hub_not_a_clique(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connections import suggest

    monkeypatch.setattr(suggest, "CLIQUE_LIMIT", 1)
    graph = tie_graph([town.tenants.pk, town.clinic.pk])
    assert graph.has_edge(f"c{town.coalition.pk}", town.tenants.pk)
    assert not graph.has_edge(town.tenants.pk, town.clinic.pk)


def test_words_and_distances() -> None:
    assert words(["housing"]) == "housing"
    assert words(["housing", "health", "transit"]) == "housing, health and transit"
    assert km_between((45.5152, -122.6784), (47.6062, -122.3321)) == pytest.approx(234, abs=3)


def test_a_regional_coordinator_elsewhere_is_refused(town: Town, places: dict[str, Place]) -> None:
    elsewhere = User.objects.create_user("wa@example.org", "a-long-passphrase")
    RegionalCoordinator.objects.create(user=elsewhere, place=places["washington"])
    with pytest.raises(PermissionDenied):
        suggestions_for_group(elsewhere, town.tenants)


def test_a_confirmed_delivery_is_a_tie_so_the_pair_is_not_suggested(
    town: Town, organizer: User
) -> None:
    from decimal import Decimal

    from solidarity import services as support

    assert "Portland Housing Justice" in names(
        suggestions_for_group(organizer, town.tenants).groups
    )
    req = support.request_create(
        user=organizer,
        organization=town.tenants,
        title="Hands for the rent strike",
        kind="volunteers",
        quantity=Decimal(5),
    )
    pledge = support.pledge_make(
        user=town.people["justice"], request=req, organization=town.justice, amount=Decimal(3)
    )
    # Pledged is not yet a tie: only what the receiving group confirmed counts.
    assert "Portland Housing Justice" in names(
        suggestions_for_group(organizer, town.tenants).groups
    )
    support.pledge_deliver(user=town.people["justice"], pledge=pledge)
    support.pledge_confirm(user=organizer, pledge=pledge)
    graph = tie_graph([town.tenants.pk, town.justice.pk])
    assert graph.has_edge(town.tenants.pk, town.justice.pk)
    assert "Portland Housing Justice" not in names(
        suggestions_for_group(organizer, town.tenants).groups
    )
    # The other side sees it the same way.
    assert "Portland Tenants Union" not in names(
        suggestions_for_group(town.people["justice"], town.justice).groups
    )
