"""A city coalition of five groups (assemblies' fixture) that belongs to a state network, each
with its assembly, and a way to have an assembly adopt a proposal."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from assemblies import services as assembly_services
from assemblies.models import Assembly, Proposal, ProposalStatus
from assemblies.tests.conftest import PASSWORD, City, city_coalition
from coalitions import services as coalition_services
from coalitions.models import Membership, MembershipStatus
from directory.models import Organization
from places.models import Place

__all__ = ["PASSWORD", "City", "State", "adopt"]


@dataclass
class State:
    coalition: Organization
    assembly: Assembly
    chair: User
    city: City


def state_network(places: dict[str, Place], city: City) -> State:
    chair = User.objects.create_user("state-chair@example.org", PASSWORD, display_name="Sam")
    coalition = coalition_services.coalition_start(
        user=chair, name="Oregon Commons Network", level="state", span=places["oregon"]
    )
    Membership.objects.create(
        coalition=coalition, member=city.coalition, status=MembershipStatus.ACTIVE
    )
    assembly = assembly_services.assembly_open(user=chair, organization=coalition)
    return State(coalition, assembly, chair, city)


def adopt(assembly: Assembly, title: str, author: User | None = None) -> Proposal:
    """A proposal the assembly adopted (how it was decided is the assemblies' business)."""
    return Proposal.objects.create(
        assembly=assembly,
        title=title,
        body=f"{title}, as the assembly decided.",
        author=author,
        status=ProposalStatus.ADOPTED,
    )


@pytest.fixture
def city(places: dict[str, Place], member: User) -> City:
    return city_coalition(places["portland"], member)


@pytest.fixture
def state(places: dict[str, Place], city: City) -> State:
    return state_network(places, city)
