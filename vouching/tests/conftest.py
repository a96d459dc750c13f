"""Groups for the vouching stories: two verified groups that vouch, a coalition, and a new
group its organizer listed from the pages, which waits for vouches."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from coalitions.models import Membership, MembershipStatus
from directory import services as directory_services
from directory.models import Organization, OrganizationAdmin
from places.models import Place


@dataclass
class Cast:
    newcomer: Organization  # listed from the pages by `organizer`: waits for vouches
    first: Organization  # verified, administered by `member`
    second: Organization  # verified, administered by `member`
    third: Organization  # verified, administered by `outsider`
    coalition: Organization  # administered by `member`


def member_of(coalition: Organization, *groups: Organization) -> None:
    for group in groups:
        Membership.objects.create(coalition=coalition, member=group, status=MembershipStatus.ACTIVE)


@pytest.fixture
def cast(places: dict[str, Place], organizer: User, member: User, outsider: User) -> Cast:
    make = directory_services.organization_create
    newcomer = make(
        user=organizer,
        name="Portland Newcomers",
        home_place=places["portland"],
        awaits_vouches=True,
    )
    first = make(user=member, name="Salem Tenants", home_place=places["portland"])
    second = make(user=member, name="Eugene Renters", home_place=places["portland"])
    third = make(user=outsider, name="Bend Neighbours", home_place=places["portland"])
    coalition = make(
        user=member, name="Oregon Housing Alliance", kind="coalition", home_place=places["oregon"]
    )
    return Cast(newcomer, first, second, third, coalition)


def admin_of(user: User, org: Organization) -> None:
    OrganizationAdmin.objects.get_or_create(user=user, organization=org)
