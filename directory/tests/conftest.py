"""Organizations the directory tests share, each in a known place of the shared place tree."""

import pytest

from accounts.models import User
from directory import services
from directory.models import Organization
from places.models import Place


@pytest.fixture
def tenants(places: dict[str, Place], organizer: User) -> Organization:
    """Portland Tenants Union, administered by the organizer."""
    return services.organization_create(
        user=organizer,
        name="Portland Tenants Union",
        home_place=places["portland"],
        description="Renters organizing against evictions and for repairs.",
        issue_areas=["housing", "racial-justice"],
    )


@pytest.fixture
def riders(places: dict[str, Place], member: User) -> Organization:
    """Oakland Transit Riders, administered by the member."""
    return services.organization_create(
        user=member,
        name="Oakland Transit Riders",
        home_place=places["oakland"],
        description="Bus riders campaigning for frequent service.",
        issue_areas=["transportation", "climate"],
    )
