"""A small movement over the conftest place tree: groups with service areas, coalitions at
three levels (one spanning Cascadia), a live call with commitments, and stale listings."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from actions.models import CallState, CallToAction, Commitment, CommitmentState
from coalitions.models import CoalitionLevel, CoalitionProfile, Membership, MembershipStatus
from directory.models import Organization, OrganizationKind
from directory.services import organization_create
from places.models import Place, PlaceKind


@dataclass
class Movement:
    places: dict[str, Place]
    orgs: dict[str, Organization]


def group(
    places: dict[str, Place], name: str, where: str | None, issues: list[str], **extra: Any
) -> Organization:
    return organization_create(
        user=None,
        name=name,
        home_place=places[where] if where else None,
        issue_areas=issues,
        **extra,
    )


def coalition(
    places: dict[str, Place], name: str, where: str, span: str, issues: list[str]
) -> Organization:
    org = group(places, name, where, issues, kind=OrganizationKind.COALITION)
    CoalitionProfile.objects.create(organization=org, level=CoalitionLevel.STATE, span=places[span])
    return org


def join(coalition: Organization, *members: Organization) -> None:
    for member in members:
        Membership.objects.create(
            coalition=coalition, member=member, status=MembershipStatus.ACTIVE
        )


@pytest.fixture(autouse=True)
def _fresh_page_parts() -> Any:
    """Rolled-back tests reuse build and place ids: no test sees another's cached pages."""
    from overview import views

    views._parts.clear()
    yield
    views._parts.clear()


@pytest.fixture
def movement(places: dict[str, Place]) -> Movement:
    p = places
    # Cascadia also holds Multnomah County, already inside Oregon: counted once all the same.
    p["cascadia"].members.add(p["multnomah"])
    o: dict[str, Organization] = {}
    o["tenants"] = group(p, "Portland Tenants Union", "portland", ["housing"])
    o["riders"] = group(p, "Seattle Transit Riders", "seattle", ["transportation", "housing"])
    o["food"] = group(p, "Oakland Food Not Bombs", "oakland", ["food", "mutual-aid"])
    o["climate"] = group(p, "Eureka Climate Action", "eureka", ["climate"])
    o["state"] = group(p, "Oregon Renters", "oregon", ["housing"])
    o["bushwick"] = group(p, "Bushwick Mutual Aid", "nyc", ["mutual-aid"])
    o["van"] = group(p, "Vancouver Tenants", "vancouver", ["housing"])
    # Based in Portland, serving Seattle and Eureka (and Portland itself, which is home).
    o["chapter"] = group(p, "Cascade Housing Chapter", "portland", ["housing", "labor"])
    o["chapter"].service_areas.set([p["seattle"], p["eureka"], p["portland"]])
    # No home at all: present only where it serves.
    o["roving"] = group(p, "Roving Clinic", None, ["health"])
    o["roving"].service_areas.set([p["berkeley"], p["oakland"], p["vancouver"]])
    o["hidden"] = group(p, "Quiet Portland Circle", "portland", ["housing"])
    o["hidden"].service_areas.set([p["berkeley"]])
    Organization.objects.filter(pk=o["hidden"].pk).update(is_hidden=True)
    o["sample"] = group(p, "Sample Berkeley Co-op", "berkeley", ["food"], is_sample=True)
    # Listings nobody has touched in half a year.
    old = timezone.now() - timedelta(days=180)
    Organization.objects.filter(pk__in=[o["climate"].pk, o["bushwick"].pk]).update(
        updated_at=old, last_confirmed_at=None
    )
    Organization.objects.filter(pk=o["van"].pk).update(
        updated_at=old, last_confirmed_at=timezone.now() - timedelta(days=10)
    )

    o["pdx"] = coalition(p, "Portland Housing Table", "portland", "portland", ["housing"])
    o["sea"] = coalition(p, "Seattle Housing Table", "seattle", "seattle", ["housing"])
    o["bay"] = coalition(p, "Bay Area Food Table", "oakland", "alameda", ["food"])
    o["cascadia_net"] = coalition(
        p, "Cascadia Housing Network", "portland", "cascadia", ["housing", "climate"]
    )
    # A region inside one country: its coalitions count in the country and the world once.
    p["pnw"] = Place.objects.create(
        kind=PlaceKind.MACROREGION,
        name="Pacific Northwest (US)",
        search_name="pacific northwest (us)",
        slug="pacific-northwest-us",
        parent=p["us"],
    )
    p["pnw"].members.set([p["oregon"], p["washington"]])
    o["pnw_net"] = coalition(p, "Northwest Transit Alliance", "seattle", "pnw", ["transportation"])
    join(o["pdx"], o["tenants"], o["chapter"], o["state"])
    join(o["sea"], o["riders"], o["chapter"])
    join(o["bay"], o["food"])
    join(o["cascadia_net"], o["pdx"], o["sea"])

    now = timezone.now()
    call = CallToAction.objects.create(
        title="Tenants' day",
        slug="tenants-day",
        description="Rally.",
        scope=p["us"],
        coalition=o["cascadia_net"],
        starts_at=now + timedelta(days=14),
        deadline=now + timedelta(days=7),
        min_organizations=2,
        state=CallState.GATHERING,
    )
    Commitment.objects.create(call=call, organization=o["tenants"], place_lft=p["portland"].lft)
    Commitment.objects.create(
        call=call,
        organization=o["riders"],
        place_lft=p["seattle"].lft,
        state=CommitmentState.WITHDRAWN,
    )
    closed = CallToAction.objects.create(
        title="Last year's day",
        slug="last-years-day",
        description="Rally.",
        scope=p["us"],
        coalition=o["cascadia_net"],
        starts_at=now - timedelta(days=300),
        deadline=now - timedelta(days=310),
        min_organizations=2,
        state=CallState.NOT_ENOUGH,
    )
    Commitment.objects.create(call=closed, organization=o["bushwick"], place_lft=p["nyc"].lft)
    return Movement(places=p, orgs=o)
