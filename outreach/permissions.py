"""Who may work on claims and outreach: the coordinators of a place (a region included) and
site coordinators. Outreach notes are private to the team of the entry's place."""

from typing import Any

from django.db.models import Q

from accounts.models import RegionalCoordinator
from directory import permissions as directory_permissions
from directory.models import Organization
from places.models import OVERLAY_KINDS, Place


def coordinated_places(user: Any) -> list[Place]:
    if not directory_permissions._signed_in(user):
        return []
    return [
        rc.place
        for rc in RegionalCoordinator.objects.filter(user=user)
        .select_related("place")
        .prefetch_related("place__members")
    ]


def is_coordinator(user: Any) -> bool:
    return directory_permissions.is_site_coordinator(user) or bool(coordinated_places(user))


def can_work_place(user: Any, place: Place | None) -> bool:
    """Coordinates this place or one containing it."""
    return directory_permissions.is_site_coordinator(user) or (
        place is not None and directory_permissions.is_regional_coordinator_for(user, place)
    )


def can_coordinate_organization(user: Any, org: Organization) -> bool:
    """Coordinates a place the group is based in: may approve its claims and do outreach."""
    if directory_permissions.is_site_coordinator(user):
        return True
    if org.place_lft is None:
        return False
    return any(
        Organization.objects.filter(pk=org.pk).filter(place.contains_q()).exists()
        for place in coordinated_places(user)
    )


def organizations_scope_q(user: Any, field: str = "place_lft") -> Q | None:
    """Organizations inside the places the user coordinates; None means all (site coordinator);
    an empty filter means none."""
    if directory_permissions.is_site_coordinator(user):
        return None
    return directory_permissions.coordinator_scope_q(user, field) or Q(pk__in=[])


def entry_places_q(user: Any) -> Q | None:
    """Outreach entries whose team place the user coordinates or sits inside one they do."""
    if directory_permissions.is_site_coordinator(user):
        return None
    q = Q(pk__in=[])
    for place in coordinated_places(user):
        q |= Q(place=place)
        # A region's members and everything inside them; a place's subtree. Other regions
        # are teams of their own, even where they overlap this one.
        q |= place.contains_q("place__lft") & ~Q(place__kind__in=OVERLAY_KINDS)
    return q
