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
