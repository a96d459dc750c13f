"""Two groups and two coalitions, each with its own admin, for membership stories."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from directory import services
from directory.models import Organization
from places.models import Place


@dataclass
class Cast:
    group: Organization  # administered by the organizer
    other_group: Organization  # administered by the outsider
    coalition: Organization  # administered by the member
    alliance: Organization  # a wider coalition, administered by the member too


@pytest.fixture
def cast(places: dict[str, Place], organizer: User, member: User, outsider: User) -> Cast:
    make = services.organization_create
    return Cast(
        group=make(user=organizer, name="Portland Tenants Union", home_place=places["portland"]),
        other_group=make(user=outsider, name="Salem Food Share", home_place=places["oregon"]),
        coalition=make(
            user=member,
            name="Oregon Housing Coalition",
            kind="coalition",
            home_place=places["oregon"],
        ),
        alliance=make(
            user=member, name="Cascadia Confederation", kind="coalition", home_place=places["world"]
        ),
    )


@dataclass
class Clustered:
    """A coalition on housing and transportation with three member groups: a tenants' union
    (housing), a riders' union (transportation) and a land trust (both)."""

    coalition: Organization  # administered by `member`
    tenants: Organization  # administered by `organizer`
    riders: Organization  # administered by `rider`
    trust: Organization  # administered by `rider`
    stranger: Organization  # not a member, administered by `outsider`
    rider: User


@pytest.fixture
def clustered(places: dict[str, Place], organizer: User, member: User, outsider: User) -> Clustered:
    from coalitions.models import Membership, MembershipStatus

    make = services.organization_create
    rider = User.objects.create_user("rider@example.org", "a-long-passphrase", display_name="Rider")
    coalition = make(
        user=member,
        name="Oregon Housing Coalition",
        kind="coalition",
        home_place=places["oregon"],
        issue_areas=["housing", "transportation", "climate"],
    )
    tenants = make(
        user=organizer,
        name="Portland Tenants Union",
        home_place=places["portland"],
        issue_areas=["housing"],
    )
    riders = make(
        user=rider,
        name="Portland Riders Union",
        home_place=places["portland"],
        issue_areas=["transportation"],
    )
    trust = make(
        user=rider,
        name="Salem Land Trust",
        home_place=places["oregon"],
        issue_areas=["housing", "transportation"],
    )
    stranger = make(
        user=outsider, name="Salem Food Share", home_place=places["oregon"], issue_areas=["housing"]
    )
    for org in (tenants, riders, trust):
        Membership.objects.create(coalition=coalition, member=org, status=MembershipStatus.ACTIVE)
    return Clustered(coalition, tenants, riders, trust, stranger, rider)
