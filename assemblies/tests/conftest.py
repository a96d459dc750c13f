"""A city coalition of five member groups, each with its own admin, and its assembly."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from assemblies import services
from assemblies.models import Assembly
from coalitions import services as coalition_services
from coalitions.models import Membership, MembershipStatus
from directory import services as directory_services
from directory.models import Organization
from places.models import Place

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password
GROUPS = ["Tenants Union", "Food Share", "Transit Riders", "Climate Action", "Library Friends"]


@dataclass
class City:
    coalition: Organization
    assembly: Assembly
    chair: User  # admin of the coalition
    groups: list[Organization]
    admins: list[User]  # admins[i] administers groups[i]


def city_coalition(place: Place, chair: User) -> City:
    admins, groups = [], []
    for i, name in enumerate(GROUPS):
        admin = User.objects.create_user(
            f"group{i}@example.org", PASSWORD, display_name=f"Admin {i}"
        )
        admins.append(admin)
        groups.append(
            directory_services.organization_create(
                user=admin, name=f"Portland {name}", home_place=place
            )
        )
    coalition = coalition_services.coalition_start(
        user=chair, name="Portland Commons", level="city", span=place
    )
    for group in groups:
        Membership.objects.create(coalition=coalition, member=group, status=MembershipStatus.ACTIVE)
    assembly = services.assembly_open(user=chair, organization=coalition, support_threshold=2)
    return City(coalition, assembly, chair, groups, admins)


@pytest.fixture
def city(places: dict[str, Place], member: User) -> City:
    return city_coalition(places["portland"], member)


@dataclass
class State:
    """A state network whose member groups are the city coalition and two other groups."""

    network: Organization
    assembly: Assembly
    chair: User  # admin of the network
    others: list[Organization]
    other_admins: list[User]  # admins of groups outside the city coalition


def state_network(place: Place, city: City) -> State:
    chair = User.objects.create_user("state@example.org", PASSWORD, display_name="State Chair")
    network = coalition_services.coalition_start(
        user=chair, name="Oregon Network", level="state", span=place
    )
    others, other_admins = [], []
    for i, name in enumerate(["Salem Renters", "Eugene Growers"]):
        admin = User.objects.create_user(
            f"other{i}@example.org", PASSWORD, display_name=f"Other Admin {i}"
        )
        other_admins.append(admin)
        others.append(
            directory_services.organization_create(user=admin, name=name, home_place=place)
        )
    for group in [city.coalition, *others]:
        Membership.objects.create(coalition=network, member=group, status=MembershipStatus.ACTIVE)
    assembly = services.assembly_open(user=chair, organization=network)
    return State(network, assembly, chair, others, other_admins)


@pytest.fixture
def state(places: dict[str, Place], city: City) -> State:
    return state_network(places["oregon"], city)
