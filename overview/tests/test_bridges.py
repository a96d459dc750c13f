"""Fragile bridges on hand-made graphs, then through the rebuild on the test movement."""

import pytest

from overview.bridges import fragile_bridges
from overview.models import FragileBridge, PlaceFigures
from overview.services import overview_rebuild
from overview.tests.conftest import Movement, coalition, group, join

NAMES = {1: "Alpha", 2: "Beta", 3: "Gamma", 4: "Delta"}
COALITIONS = {1, 2, 3, 4}


def test_it_finds_the_one_group_two_coalitions_share() -> None:
    found = fragile_bridges([(1, 10), (2, 10), (1, 11), (2, 12)], COALITIONS, NAMES)
    assert [(b.group, b.first, b.second, b.parts) for b in found] == [(10, 1, 2, 2)]


def test_it_finds_none_when_two_groups_link_the_same_coalitions() -> None:
    assert fragile_bridges([(1, 10), (2, 10), (1, 11), (2, 11)], COALITIONS, NAMES) == []


def test_it_ignores_groups_in_one_coalition_only() -> None:
    assert fragile_bridges([(1, 10), (1, 11), (2, 12)], COALITIONS, NAMES) == []


def test_it_counts_every_part_a_group_holds_together() -> None:
    # Group 10 alone links Alpha, Beta and Gamma; Gamma and Delta share two groups.
    edges = [(1, 10), (2, 10), (3, 10), (3, 20), (4, 20), (3, 21), (4, 21)]
    found = fragile_bridges(edges, COALITIONS, NAMES)
    assert [(b.group, b.parts) for b in found] == [(10, 3)]
    assert set(found[0].coalitions) == {1, 2, 3}
    assert (found[0].first, found[0].second) == (1, 2)  # Alpha and Beta, by name


def test_it_names_a_chain_of_bridges() -> None:
    # Alpha – 10 – Beta – 11 – Gamma: both groups are bridges; a third group closes nothing.
    found = fragile_bridges([(1, 10), (2, 10), (2, 11), (3, 11), (3, 12)], COALITIONS, NAMES)
    assert sorted((b.group, b.first, b.second) for b in found) == [(10, 1, 2), (11, 2, 3)]


def test_it_sees_a_coalition_member_as_another_path() -> None:
    # Beta belongs to Alpha directly, so group 10 is not the only link between them.
    assert fragile_bridges([(1, 10), (2, 10), (1, 2)], COALITIONS, NAMES) == []


@pytest.mark.django_db
def test_the_rebuild_keeps_each_places_bridges(movement: Movement) -> None:
    overview_rebuild()
    p, o = movement.places, movement.orgs
    # The chapter is in both city tables, but the Cascadia network holds both as members: a
    # second path, so inside Cascadia and above it there is no fragile bridge.
    assert not FragileBridge.objects.filter(place=p["cascadia"]).exists()
    # Inside the US, without the regional network (it spans Cascadia, not a US place), the
    # chapter alone links the Portland and Seattle tables.
    bridge = FragileBridge.objects.get(place=p["us"])
    assert (bridge.group, {bridge.first, bridge.second}) == (o["chapter"], {o["pdx"], o["sea"]})
    assert PlaceFigures.objects.get(place=p["us"]).bridges == 1
    assert not FragileBridge.objects.filter(place=p["oregon"]).exists()


@pytest.mark.django_db
def test_the_rebuild_leaves_hidden_members_out_of_the_graph(movement: Movement) -> None:
    p, o = movement.places, movement.orgs
    Organization = type(o["chapter"])
    Organization.objects.filter(pk=o["chapter"].pk).update(is_hidden=True)
    overview_rebuild()
    assert not FragileBridge.objects.filter(place=p["us"]).exists()


@pytest.mark.django_db
def test_the_rebuild_finds_a_bridge_between_two_state_coalitions(movement: Movement) -> None:
    p = movement.places
    ca = coalition(p, "California Tenants", "california", "california", ["housing"])
    ny = coalition(p, "New York Tenants", "new_york", "new_york", ["housing"])
    linker = group(p, "Coast to Coast Renters", "oakland", ["housing"])
    join(ca, linker, group(p, "Berkeley Renters", "berkeley", ["housing"]))
    join(ny, linker)
    overview_rebuild()
    names = {
        (b.group.name, b.first.name, b.second.name)
        for b in FragileBridge.objects.filter(place=p["us"]).select_related(
            "group", "first", "second"
        )
    }
    assert ("Coast to Coast Renters", "California Tenants", "New York Tenants") in names
    assert not FragileBridge.objects.filter(place=p["california"]).exists()
