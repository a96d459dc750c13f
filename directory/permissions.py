"""Who may do what with a listing. Every view, endpoint and service asks here.

Least privilege: an organization's admins edit its listing and nobody else does. Site
coordinators moderate (hide a listing, set its status) and keep the issue taxonomy. Regional
coordinators see the private contact of groups inside their place, so they can make
introductions, but cannot change the listing.
"""

from typing import Any

from django.db.models import Q

from accounts.models import RegionalCoordinator
from accounts.permissions import email_verified
from directory.models import Organization, OrganizationAdmin
from places.models import Place


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def is_site_coordinator(user: Any) -> bool:
    return _signed_in(user) and bool(user.is_site_coordinator)


def is_organization_admin(user: Any, org: Organization) -> bool:
    # An admin acts for the group only once their address is confirmed (accounts.permissions).
    if not _signed_in(user) or org.pk is None or not email_verified(user):
        return False
    return OrganizationAdmin.objects.filter(organization=org, user=user).exists()


def administered_organization_ids(user: Any) -> list[int]:
    if not _signed_in(user) or not email_verified(user):
        return []
    return list(
        OrganizationAdmin.objects.filter(user=user).values_list("organization_id", flat=True)
    )


def _coordinated_places(user: Any) -> list[Place]:
    if not _signed_in(user):
        return []
    return [
        rc.place
        for rc in RegionalCoordinator.objects.filter(user=user)
        .select_related("place")
        .prefetch_related("place__members")
    ]


def _ranges(place: Place) -> list[tuple[int, int]]:
    """The tree ranges a place covers: its own, or its members' for an overlay region."""
    if place.is_overlay:
        return [(m.lft, m.rgt) for m in place.members.all()]
    return [(place.lft, place.rgt)]


def _covers(outer: Place, inner: Place) -> bool:
    if outer.pk == inner.pk:
        return True
    outer_ranges = _ranges(outer)
    inner_ranges = _ranges(inner)
    if not inner_ranges:
        return False
    return all(
        any(lo <= i_lo and i_hi <= hi for lo, hi in outer_ranges) for i_lo, i_hi in inner_ranges
    )


def coordinated_places_covering(user: Any, place: Place | None) -> list[Place]:
    """The places (or regions) this person coordinates that contain `place`."""
    if place is None:
        return []
    return [c for c in _coordinated_places(user) if _covers(c, place)]


def is_regional_coordinator_for(user: Any, place: Place | None) -> bool:
    """True if the user coordinates this place or a place (or region) that contains it."""
    if place is None:
        return False
    return any(_covers(coordinated, place) for coordinated in _coordinated_places(user))


def _coordinates_org(user: Any, org: Organization) -> bool:
    if org.place_lft is None:
        return False
    lft = org.place_lft
    return any(
        lo <= lft <= hi
        for coordinated in _coordinated_places(user)
        for lo, hi in _ranges(coordinated)
    )


def coordinator_scope_q(user: Any, field: str = "place_lft") -> Q | None:
    """A filter for everything inside the places the user coordinates, or None if none."""
    places = _coordinated_places(user)
    if not places:
        return None
    q = Q(pk__in=[])
    for place in places:
        q |= place.contains_q(field)
    return q


def can_edit_organization(user: Any, org: Organization) -> bool:
    """Only the organization's own admins edit its listing."""
    return is_organization_admin(user, org)


def can_moderate_organization(user: Any, org: Organization) -> bool:
    """Hiding a listing or marking it dissolved is moderation, kept to site coordinators."""
    return is_site_coordinator(user)


def can_see_private_contact(user: Any, org: Organization) -> bool:
    if not _signed_in(user):
        return False
    return (
        is_site_coordinator(user) or is_organization_admin(user, org) or _coordinates_org(user, org)
    )


def can_see_organization(user: Any, org: Organization) -> bool:
    """Hidden listings stay visible to the people responsible for them."""
    if not org.is_hidden:
        return True
    return can_see_private_contact(user, org)


def acts_as_verified(org: Organization) -> bool:
    """A group others have vouched for (or one the hub already knew): it may vote, commit, see
    what coalitions show their members and receive contacts through introductions."""
    return org.is_verified


def can_manage_issue_areas(user: Any) -> bool:
    return is_site_coordinator(user)
