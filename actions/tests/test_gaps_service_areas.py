"""Coverage gaps count a group in the places it serves, not only where it is based (issue 10)."""

from actions.selectors import call_gaps
from actions.tests.conftest import call_for
from directory import services as directory_services


def test_it_offers_a_group_for_the_places_it_serves(cast, member, organizer, places) -> None:
    # Based in Portland, Oregon, it also serves Humboldt County across the state line.
    riders = directory_services.organization_create(
        user=organizer,
        name="Cascadia Tenants Network",
        home_place=places["portland"],
        issue_areas=[cast.issues["housing"]],
    )
    riders.service_areas.set([places["humboldt"]])
    call = call_for(cast, member, places["california"], place_level="county")
    gaps = {g.place.name: g for g in call_gaps(call)}
    humboldt = [c.organization.name for c in gaps["Humboldt County"].candidates]
    assert sorted(humboldt) == ["Cascadia Tenants Network", "Eureka Tenants"]
    assert gaps["Humboldt County"].total == 2
    assert "Cascadia Tenants Network" not in [
        c.organization.name for c in gaps["Alameda County"].candidates
    ]
