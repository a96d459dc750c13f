"""An Oregon state network whose members are four city coalitions (three of which will endorse
a plank), a Seattle city coalition across the state line, each with its assembly and chair."""

from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import User
from assemblies import services as assembly_services
from assemblies.models import Assembly, Method, Proposal
from coalitions import services as coalition_services
from coalitions.models import Membership, MembershipStatus
from directory.models import Organization
from places.models import Place, PlaceKind
from places.services import place_tree_renumber

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password
CITIES = ["Portland", "Eugene", "Salem", "Bend"]


@dataclass
class Network:
    state: Organization
    state_assembly: Assembly
    state_chair: User
    cities: list[Organization]  # Portland, Eugene, Salem, Bend; all members of the state network
    city_assemblies: list[Assembly]
    city_chairs: list[User]
    seattle: Organization
    seattle_assembly: Assembly
    seattle_chair: User


def _place(kind: str, name: str, parent: Place, **extra: Any) -> Place:
    return Place.objects.create(
        kind=kind,
        name=name,
        search_name=name.lower(),
        slug=f"{parent.slug}-{name.lower().replace(' ', '-')}",
        parent=parent,
        **extra,
    )


def _more_oregon(places: dict[str, Place]) -> dict[str, Place]:
    oregon = places["oregon"]
    lane = _place(PlaceKind.COUNTY, "Lane County", oregon, latitude=43.9, longitude=-122.8)
    marion = _place(PlaceKind.COUNTY, "Marion County", oregon, latitude=44.9, longitude=-122.6)
    deschutes = _place(
        PlaceKind.COUNTY, "Deschutes County", oregon, latitude=44.0, longitude=-121.3
    )
    extra = {
        "eugene": _place(PlaceKind.LOCALITY, "Eugene", lane, latitude=44.05, longitude=-123.09),
        "salem": _place(PlaceKind.LOCALITY, "Salem", marion, latitude=44.94, longitude=-123.03),
        "bend": _place(PlaceKind.LOCALITY, "Bend", deschutes, latitude=44.06, longitude=-121.31),
    }
    place_tree_renumber()
    for place in list(places.values()) + list(extra.values()):
        place.refresh_from_db()
    return {**places, **extra}


def _chair(name: str) -> User:
    return User.objects.create_user(
        f"{name.lower().replace(' ', '-')}@example.org", PASSWORD, display_name=f"{name} chair"
    )


def network_build(places: dict[str, Place]) -> Network:
    places = _more_oregon(places)
    state_chair = _chair("Oregon")
    state = coalition_services.coalition_start(
        user=state_chair, name="Oregon Commons Network", level="state", span=places["oregon"]
    )
    state_assembly = assembly_services.assembly_open(
        user=state_chair, organization=state, support_threshold=1
    )
    cities, assemblies, chairs = [], [], []
    for name in CITIES:
        chair = _chair(name)
        city = coalition_services.coalition_start(
            user=chair, name=f"{name} Commons", level="city", span=places[name.lower()]
        )
        Membership.objects.create(coalition=state, member=city, status=MembershipStatus.ACTIVE)
        cities.append(city)
        chairs.append(chair)
        assemblies.append(
            assembly_services.assembly_open(user=chair, organization=city, support_threshold=1)
        )
    seattle_chair = _chair("Seattle")
    seattle = coalition_services.coalition_start(
        user=seattle_chair, name="Seattle Commons", level="city", span=places["seattle"]
    )
    seattle_assembly = assembly_services.assembly_open(
        user=seattle_chair, organization=seattle, support_threshold=1
    )
    return Network(
        state,
        state_assembly,
        state_chair,
        cities,
        assemblies,
        chairs,
        seattle,
        seattle_assembly,
        seattle_chair,
    )


@pytest.fixture
def network(places: dict[str, Place]) -> Network:
    return network_build(places)


def decide(chair: User, assembly: Assembly, proposal: Proposal, *, adopt: bool = True) -> Any:
    """The assembly's chair puts the proposal to a simple majority, votes, and closes it."""
    question = assembly_services.question_create(
        user=chair,
        assembly=assembly,
        title=f"Adopt “{proposal.title}”?",
        method=Method.MAJORITY,
        proposal=proposal,
        hide_results=False,
    )
    assembly_services.question_open(user=chair, question=question)
    assembly_services.ballot_cast(
        user=chair, question=question, content={"position": "yes" if adopt else "no"}
    )
    return assembly_services.question_close(user=chair, question=question)
