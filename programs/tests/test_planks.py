"""Planks: proposed in one assembly, adopted into its program, endorsed by others through their
own decisions, and rolled up by place and level from counted rows."""

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, User
from assemblies import services as assembly_services
from assemblies.models import ProposalStatus
from coalitions.models import Notice
from directory import services as directory_services
from places.models import Place
from programs import selectors, services
from programs.models import Endorsement, Outcome, Plank, PlankKind, PlankReach, PlankStatus
from programs.tests.conftest import Network, decide

pytestmark = pytest.mark.django_db


def _plank(network: Network) -> Plank:
    return services.plank_propose(
        user=network.state_chair,
        assembly=network.state_assembly,
        title="A public bank for Oregon",
        text="The state founds a public bank that lends to co-ops and social housing.",
        kind=PlankKind.INSTITUTION,
    )


def _endorse(network: Network, plank: Plank, i: int, *, adopt: bool = True) -> None:
    motion = services.plank_endorsement_propose(
        user=network.city_chairs[i], plank=plank, assembly=network.city_assemblies[i]
    )
    decide(network.city_chairs[i], network.city_assemblies[i], motion.proposal, adopt=adopt)


def _endorse_seattle(network: Network, plank: Plank) -> None:
    motion = services.plank_endorsement_propose(
        user=network.seattle_chair, plank=plank, assembly=network.seattle_assembly
    )
    decide(network.seattle_chair, network.seattle_assembly, motion.proposal)


def test_it_puts_a_plank_to_its_assembly_as_a_proposal(network: Network) -> None:
    plank = _plank(network)
    assert plank.status == PlankStatus.PROPOSED
    assert plank.proposal.assembly == network.state_assembly
    assert plank.proposal.body == plank.text
    assert selectors.program(network.state_assembly)["adopted"] == []


def test_it_adopts_the_plank_with_the_text_as_amended(network: Network) -> None:
    plank = _plank(network)
    amendment = assembly_services.amendment_propose(
        user=network.city_chairs[0],
        proposal=plank.proposal,
        new_text="The state founds a public bank that lends to co-ops, cities and social housing.",
    )
    assembly_services.amendment_accept(user=network.state_chair, amendment=amendment)
    decide(network.state_chair, network.state_assembly, plank.proposal)
    plank.refresh_from_db()
    assert plank.status == PlankStatus.ADOPTED
    assert "co-ops, cities and social housing" in plank.text
    assert selectors.program(network.state_assembly)["adopted"] == [plank]


def test_it_keeps_a_rejected_plank_out_of_the_program(network: Network) -> None:
    plank = _plank(network)
    decide(network.state_chair, network.state_assembly, plank.proposal, adopt=False)
    plank.refresh_from_db()
    assert plank.status == PlankStatus.REJECTED
    assert selectors.program(network.state_assembly)["adopted"] == []


def test_it_endorses_only_when_the_other_assembly_adopts_the_endorsement(
    network: Network,
) -> None:
    plank = _plank(network)
    motion = services.plank_endorsement_propose(
        user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[0]
    )
    assert motion.proposal.assembly == network.city_assemblies[0]
    assert not Endorsement.objects.exists()
    decide(network.city_chairs[0], network.city_assemblies[0], motion.proposal)
    endorsement = Endorsement.objects.get()
    assert endorsement.assembly == network.city_assemblies[0]
    assert endorsement.decision == motion.proposal
    assert endorsement.decision.status == ProposalStatus.ADOPTED
    assert endorsement.place is not None and endorsement.place.name == "Portland"
    assert endorsement.level == "city"
    plank.refresh_from_db()
    assert plank.endorsement_count == 1 and plank.place_count == 1


def test_it_records_no_endorsement_when_the_assembly_says_no(network: Network) -> None:
    plank = _plank(network)
    _endorse(network, plank, 1, adopt=False)
    assert not Endorsement.objects.exists()
    assert plank.motions.get().outcome == Outcome.REJECTED
    plank.refresh_from_db()
    assert plank.endorsement_count == 0


def test_it_rolls_endorsements_up_by_place_and_level(
    network: Network, places: dict[str, Place]
) -> None:
    plank = _plank(network)
    for i in range(3):
        _endorse(network, plank, i)
    _endorse_seattle(network, plank)
    plank.refresh_from_db()
    assert (plank.endorsement_count, plank.place_count) == (4, 4)

    def reach(place: str, level: str = "") -> int:
        return PlankReach.objects.get(plank=plank, place=places[place], level=level).assemblies

    assert reach("oregon", "city") == 3
    assert reach("oregon") == 3
    assert reach("washington") == 1
    assert reach("us", "city") == 4
    assert reach("world") == 4
    assert reach("cascadia") == 4  # Oregon and Washington are in Cascadia

    us = selectors.rollup(plank, places["us"])
    assert us.endorsing == 4
    assert us.by_kind["state"] == 2 and us.by_kind["country"] == 1
    by_state = {c.place.name: c for c in us.children}
    assert by_state["Oregon"].endorsing == 3
    # Four city coalitions in Oregon have a place on the hub; three of them endorse.
    [oregon_cities] = by_state["Oregon"].levels
    assert (oregon_cities.level, oregon_cities.endorsing, oregon_cities.of) == ("city", 3, 4)
    assert by_state["Washington"].endorsing == 1

    # Beside the countries, the world's rollup shows the region the endorsers share; its
    # coalitions are counted through the region's member places.
    world = {c.place.name: c for c in selectors.rollup(plank).children}
    assert world["United States"].endorsing == 4
    [cascadia_cities] = world["Cascadia"].levels
    assert (cascadia_cities.endorsing, cascadia_cities.of) == (4, 5)

    oregon = selectors.rollup(plank, places["oregon"])
    assert [(lc.endorsing, lc.of) for lc in oregon.levels] == [(3, 4)]
    assert [p.name for p in oregon.trail] == ["World", "United States", "Oregon"]
    assert {c.place.name for c in oregon.children} == {
        "Multnomah County",
        "Lane County",
        "Marion County",
    }


def test_it_ranks_the_widest_endorsement_only_when_something_is_endorsed(
    network: Network, places: dict[str, Place]
) -> None:
    first = _plank(network)
    second = services.plank_propose(
        user=network.city_chairs[3],
        assembly=network.city_assemblies[3],
        title="Community food system",
        text="Every neighbourhood has a food co-op and a community kitchen.",
    )
    assert selectors.widest() == []
    _endorse(network, first, 0)
    _endorse(network, first, 1)
    motion = services.plank_endorsement_propose(
        user=network.seattle_chair, plank=second, assembly=network.seattle_assembly
    )
    decide(network.seattle_chair, network.seattle_assembly, motion.proposal)
    assert [(r.plank, r.assemblies) for r in selectors.widest()] == [(first, 2), (second, 1)]
    assert [(r.plank, r.assemblies) for r in selectors.widest(places["washington"])] == [
        (second, 1)
    ]
    assert [r.plank for r in selectors.widest(places["cascadia"])] == [first, second]
    assert selectors.widest(places["new_york"]) == []


def test_it_tells_the_proposing_assemblys_admins_when_another_endorses(
    network: Network,
) -> None:
    plank = _plank(network)
    _endorse(network, plank, 2)
    notice = Notice.objects.get(user=network.state_chair, text__contains="endorsed your plank")
    assert "Salem Commons" in notice.text and "A public bank for Oregon" in notice.text
    assert notice.url == f"/programs/planks/{plank.pk}/"


def test_it_writes_every_step_to_the_audit_log(network: Network) -> None:
    plank = _plank(network)
    _endorse(network, plank, 0)
    decide(network.state_chair, network.state_assembly, plank.proposal)
    actions = set(
        AuditEvent.objects.filter(
            target_type="programs.plank", target_id=str(plank.pk)
        ).values_list("action", flat=True)
    )
    assert {"plank.propose", "plank.endorsement_propose", "plank.endorse", "plank.adopt"} <= (
        actions
    )


def test_it_refuses_outsiders(network: Network, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.plank_propose(user=outsider, assembly=network.state_assembly, title="x", text="y")
    plank = _plank(network)
    with pytest.raises(PermissionDenied):
        services.plank_endorsement_propose(
            user=outsider, plank=plank, assembly=network.city_assemblies[0]
        )
    # A city's chair cannot put the endorsement to another city's assembly.
    with pytest.raises(PermissionDenied):
        services.plank_endorsement_propose(
            user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[1]
        )


def test_it_refuses_endorsing_in_the_proposing_assembly_or_twice(network: Network) -> None:
    plank = _plank(network)
    with pytest.raises(PermissionDenied):
        services.plank_endorsement_propose(
            user=network.state_chair, plank=plank, assembly=network.state_assembly
        )
    services.plank_endorsement_propose(
        user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[0]
    )
    with pytest.raises(ValidationError):
        services.plank_endorsement_propose(
            user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[0]
        )
    decide(network.city_chairs[0], network.city_assemblies[0], plank.motions.get().proposal)
    with pytest.raises(ValidationError):
        services.plank_endorsement_propose(
            user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[0]
        )


def test_a_meeting_decision_endorses_once_however_often_it_is_recorded(
    network: Network,
) -> None:
    plank = _plank(network)
    motion = services.plank_endorsement_propose(
        user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[0]
    )
    meeting = assembly_services.meeting_schedule(
        user=network.city_chairs[0],
        assembly=network.city_assemblies[0],
        title="General meeting",
        starts_local=datetime(2027, 3, 1, 18, 0),
        time_zone="America/Los_Angeles",
        proposals=[motion.proposal],
    )
    item = meeting.agenda.get(proposal=motion.proposal)
    for _time in range(2):
        assembly_services.agenda_decision_record(
            user=network.city_chairs[0], item=item, decision="Endorsed by the room.", adopted=True
        )
    plank.refresh_from_db()
    assert plank.endorsement_count == 1
    assert PlankReach.objects.get(plank=plank, place__name="Oregon", level="").assemblies == 1


def test_it_exposes_the_decisions_that_carry_a_plank(network: Network) -> None:
    plank = _plank(network)
    assert list(selectors.plank_decisions(plank)) == []
    _endorse(network, plank, 0)
    decide(network.state_chair, network.state_assembly, plank.proposal)
    decisions = set(selectors.plank_decisions(plank))
    assert plank.proposal in decisions and len(decisions) == 2


def test_a_withdrawn_endorsement_proposal_can_be_made_again(network: Network) -> None:
    plank = _plank(network)
    chair, assembly = network.city_chairs[0], network.city_assemblies[0]
    first = services.plank_endorsement_propose(user=chair, plank=plank, assembly=assembly)
    assembly_services.proposal_withdraw(user=chair, proposal=first.proposal)
    assert selectors.motions_in_progress(plank) == []
    assert assembly in selectors.assemblies_to_endorse_in(chair, plank)
    again = services.plank_endorsement_propose(user=chair, plank=plank, assembly=assembly)
    assert selectors.motions_in_progress(plank) == [again]


def test_a_withdrawn_plank_takes_no_endorsements(network: Network) -> None:
    plank = _plank(network)
    assembly_services.proposal_withdraw(user=network.state_chair, proposal=plank.proposal)
    plank.refresh_from_db()
    assert selectors.withdrawn(plank)
    assert selectors.assemblies_to_endorse_in(network.city_chairs[0], plank) == []
    assert selectors.program(network.state_assembly)["proposed"] == []
    with pytest.raises(ValidationError):
        services.plank_endorsement_propose(
            user=network.city_chairs[0], plank=plank, assembly=network.city_assemblies[0]
        )


def test_assemblies_at_every_level_endorse_and_count_under_their_own_level(
    network: Network, places: dict[str, Place]
) -> None:
    # A plank proposed in Bend's city assembly, endorsed by the state network and by a group's
    # own assembly in Portland.
    plank = services.plank_propose(
        user=network.city_chairs[3],
        assembly=network.city_assemblies[3],
        title="Community land trusts",
        text="Land held in common under every new housing estate.",
    )
    motion = services.plank_endorsement_propose(
        user=network.state_chair, plank=plank, assembly=network.state_assembly
    )
    decide(network.state_chair, network.state_assembly, motion.proposal)
    group_admin = User.objects.create_user("tenants@example.org", "a-long-passphrase")
    tenants = directory_services.organization_create(
        user=group_admin, name="Portland Tenants Union", home_place=places["portland"]
    )
    own = assembly_services.assembly_open(user=group_admin, organization=tenants)
    motion = services.plank_endorsement_propose(user=group_admin, plank=plank, assembly=own)
    decide(group_admin, own, motion.proposal)

    levels = {e.level: str(e.place) for e in Endorsement.objects.filter(plank=plank)}
    assert levels == {"state": "Oregon", "group": "Portland"}
    oregon = selectors.rollup(plank, places["oregon"])
    assert oregon.endorsing == 2
    assert [(lc.level, lc.endorsing, lc.of) for lc in oregon.levels] == [
        ("state", 1, 1),
        ("group", 1, None),
    ]


def test_an_endorsing_organization_can_still_be_deleted(network: Network) -> None:
    plank = _plank(network)
    _endorse(network, plank, 0)
    network.cities[0].delete()
    assert not Endorsement.objects.exists()
