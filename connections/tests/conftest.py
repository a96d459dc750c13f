"""A small town of groups around Portland for whom-to-meet and introduction stories.

tenants   Portland Tenants Union   housing          0 km   admin: organizer   (the group asking)
clinic    Clinic Collective        health           2 km   admin: clinic      (tied: a coalition)
riders    Eastside Transit Riders  transportation   3 km   admin: neighbour
justice   Portland Housing Justice housing          8 km   admin: justice     (speaks Spanish)
gresham   Gresham Housing Action   housing         12 km   admin: gresham     (met the clinic)
food      Portland Food Share      food             1 km   (not a related issue)
salem     Salem Transit Now        transportation   Oregon (outside the county)
seattle   Seattle Renters          housing          Seattle
eugene    Eugene Tenants           housing          Lane County
"""

from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import User
from coalitions.models import CoalitionProfile, Membership, MembershipStatus
from connections.models import Tie, TieKind
from directory import services
from directory.models import Organization
from places.models import Place, PlaceKind
from places.services import place_tree_renumber

PASSWORD = "a-long-passphrase"  # noqa: S105 - the shared test fixtures' password

# Portland's centre and points east of it at roughly the distances in the table above.
LAT, LON = 45.5152, -122.6784


def _east(km: float) -> tuple[float, float]:
    return LAT, LON + km / 78.0  # about 78 km per degree of longitude at this latitude


@dataclass
class Town:
    tenants: Organization
    clinic: Organization
    riders: Organization
    justice: Organization
    gresham: Organization
    food: Organization
    salem: Organization
    seattle: Organization
    eugene: Organization
    coalition: Organization  # Portland Health & Housing, with tenants and clinic as members
    lane: Place
    people: dict[str, User]


def person(name: str) -> User:
    return User.objects.create_user(f"{name}@example.org", PASSWORD, display_name=name.title())


@pytest.fixture
def town(places: dict[str, Place], organizer: User, neighbour: User) -> Town:
    lane = Place.objects.create(
        kind=PlaceKind.COUNTY,
        name="Lane County",
        search_name="lane county",
        slug="oregon-lane-county",
        parent=places["oregon"],
        latitude=44.0,
        longitude=-122.8,
    )
    eugene_place = Place.objects.create(
        kind=PlaceKind.LOCALITY,
        name="Eugene",
        search_name="eugene",
        slug="oregon-eugene",
        parent=lane,
        latitude=44.05,
        longitude=-123.09,
    )
    place_tree_renumber()
    for p in places.values():
        p.refresh_from_db()
    lane.refresh_from_db()
    eugene_place.refresh_from_db()
    people = {name: person(name) for name in ("clinic", "justice", "gresham", "weaver")}
    people["organizer"], people["neighbour"] = organizer, neighbour
    make = services.organization_create
    portland = places["portland"]

    def at(km: float) -> dict[str, Any]:
        lat, lon = _east(km)
        return {"latitude": lat, "longitude": lon}

    town = Town(
        tenants=make(
            user=organizer,
            name="Portland Tenants Union",
            home_place=portland,
            issue_areas=["housing"],
            languages=["en"],
            **at(0),
        ),
        clinic=make(
            user=people["clinic"],
            name="Clinic Collective",
            home_place=portland,
            issue_areas=["health"],
            languages=["en"],
            **at(2),
        ),
        riders=make(
            user=neighbour,
            name="Eastside Transit Riders",
            home_place=portland,
            issue_areas=["transportation"],
            languages=["en"],
            **at(3),
        ),
        justice=make(
            user=people["justice"],
            name="Portland Housing Justice",
            home_place=portland,
            issue_areas=["housing"],
            languages=["en", "es"],
            **at(8),
        ),
        gresham=make(
            user=people["gresham"],
            name="Gresham Housing Action",
            home_place=portland,
            issue_areas=["housing"],
            languages=["en"],
            **at(12),
        ),
        food=make(
            user=None,
            name="Portland Food Share",
            home_place=portland,
            issue_areas=["food"],
            **at(1),
        ),
        salem=make(
            user=None,
            name="Salem Transit Now",
            home_place=places["oregon"],
            issue_areas=["transportation"],
        ),
        seattle=make(
            user=None, name="Seattle Renters", home_place=places["seattle"], issue_areas=["housing"]
        ),
        eugene=make(
            user=None, name="Eugene Tenants", home_place=eugene_place, issue_areas=["housing"]
        ),
        coalition=make(
            user=organizer,
            name="Portland Health and Housing",
            kind="coalition",
            home_place=portland,
            issue_areas=["housing", "health"],
        ),
        lane=lane,
        people=people,
    )
    CoalitionProfile.objects.create(organization=town.coalition, level="city", span=portland)
    for org in (town.tenants, town.clinic):
        Membership.objects.create(
            coalition=town.coalition, member=org, status=MembershipStatus.ACTIVE
        )
    # The clinic met Gresham Housing Action through an earlier introduction; the riders know
    # Salem Transit Now.
    for a, b in ((town.clinic, town.gresham), (town.riders, town.salem)):
        low, high = sorted((a, b), key=lambda o: o.pk)
        Tie.objects.create(low=low, high=high, kind=TieKind.MET)
    return town


@pytest.fixture
def neighbour(db: None) -> User:
    return User.objects.create_user("neighbour@example.org", PASSWORD, display_name="Neighbour")
