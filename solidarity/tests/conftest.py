"""The story of issue 14: a tenants' union in Jackson, a national coalition, and groups in three
other states who help; an outsider group that belongs to no coalition."""

from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import User
from coalitions.models import Membership, MembershipStatus
from conftest import _place
from directory import services as directory_services
from directory.models import IssueArea, Organization
from places.models import Place, PlaceKind
from places.services import place_tree_renumber


@dataclass
class Cast:
    jackson: Organization  # administered by `organizer`
    coalition: Organization  # administered by `member`
    helpers: dict[str, Organization]  # oakland, portland, nyc; each its own admin
    admins: dict[str, User]
    stranger: Organization  # administered by `outsider`, in no coalition
    housing: IssueArea
    places: dict[str, Place]


@pytest.fixture
def cast(places: dict[str, Place], organizer: User, member: User, outsider: User) -> Cast:
    places["mississippi"] = _place(
        PlaceKind.STATE,
        "Mississippi",
        places["us"],
        iso_code="US-MS",
        latitude=32.7,
        longitude=-89.7,
    )
    places["hinds"] = _place(PlaceKind.COUNTY, "Hinds County", places["mississippi"])
    places["jackson"] = _place(
        PlaceKind.LOCALITY, "Jackson", places["hinds"], latitude=32.2988, longitude=-90.1848
    )
    place_tree_renumber()
    for place in places.values():
        place.refresh_from_db()
    housing = IssueArea.objects.get(slug="housing")
    make = directory_services.organization_create
    coalition = make(
        user=member, name="National Tenants Network", kind="coalition", home_place=places["us"]
    )
    jackson = make(
        user=organizer,
        name="Jackson Tenants Union",
        home_place=places["jackson"],
        issue_areas=[housing],
    )
    admins: dict[str, User] = {}
    helpers: dict[str, Organization] = {}
    for key in ["oakland", "portland", "nyc"]:
        admins[key] = User.objects.create_user(
            f"{key}@example.org", "a-long-passphrase", display_name=f"{key} admin"
        )
        helpers[key] = make(
            user=admins[key],
            name=f"{places[key].name} Solidarity Network",
            home_place=places[key],
            issue_areas=[housing],
        )
    stranger = make(user=outsider, name="Outsider Group", home_place=places["portland"])
    for org in [jackson, *helpers.values()]:
        Membership.objects.create(coalition=coalition, member=org, status=MembershipStatus.ACTIVE)
    return Cast(jackson, coalition, helpers, admins, stranger, housing, places)


def ask(cast: Cast, user: User, **extra: Any) -> Any:
    from decimal import Decimal

    from solidarity import services

    fields: dict[str, Any] = {
        "title": "Volunteers for the eviction defence",
        "kind": "volunteers",
        "quantity": Decimal(40),
        "unit": "people",
        "issue_area": cast.housing,
    }
    fields.update(extra)
    return services.request_create(user=user, organization=cast.jackson, **fields)
