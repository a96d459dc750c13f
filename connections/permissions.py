"""Who may broker an introduction, answer for a side, read one, and see a group's suggestions.

A weaver is a regional coordinator whose places hold both groups, a site coordinator, an admin
of either group, or an admin of a coalition both groups belong to. Only a side's own admins
answer for it: nobody opts a group in on its behalf.
"""

from typing import Any

from coalitions.models import Membership, MembershipStatus
from connections.models import Introduction
from directory import permissions as directory_permissions
from directory.models import Organization, OrganizationAdmin
from outreach import permissions as outreach_permissions
from places.models import Place


def _signed_in(user: Any) -> bool:
    return directory_permissions._signed_in(user)


def shared_coalition_ids(first: Organization, second: Organization) -> set[int]:
    def of(org: Organization) -> set[int]:
        return set(
            Membership.objects.filter(member=org, status=MembershipStatus.ACTIVE).values_list(
                "coalition_id", flat=True
            )
        )

    return of(first) & of(second)


def team_place_for(user: Any, first: Organization, second: Organization) -> Place | None:
    """The smallest place the user coordinates that holds both groups, if any."""
    found = [
        place
        for place in outreach_permissions.coordinated_places(user)
        if all(
            Organization.objects.filter(pk=org.pk).filter(place.contains_q()).exists()
            for org in (first, second)
        )
    ]
    found.sort(key=lambda p: (p.is_overlay, -(p.depth or 0), p.pk))
    return found[0] if found else None


def weaver_role(user: Any, first: Organization, second: Organization) -> str | None:
    """Why the user may propose introducing these two groups, or None if they may not."""
    if not _signed_in(user):
        return None
    if directory_permissions.is_site_coordinator(user):
        return "site"
    if team_place_for(user, first, second) is not None:
        return "region"
    if any(directory_permissions.is_organization_admin(user, org) for org in (first, second)):
        return "side"
    shared = shared_coalition_ids(first, second)
    if shared and OrganizationAdmin.objects.filter(user=user, organization_id__in=shared).exists():
        return "coalition"
    return None


def can_answer_for(user: Any, org: Organization) -> bool:
    return directory_permissions.is_organization_admin(user, org)


def can_see_introduction(user: Any, introduction: Introduction) -> bool:
    if not _signed_in(user):
        return False
    if directory_permissions.is_site_coordinator(user) or introduction.weaver_id == user.pk:
        return True
    side_ids = [side.organization_id for side in introduction.sides.all()]
    return OrganizationAdmin.objects.filter(user=user, organization_id__in=side_ids).exists()


def can_see_suggestions(user: Any, org: Organization) -> bool:
    """A group's own admins, and the coordinators whose places hold it."""
    return directory_permissions.is_organization_admin(
        user, org
    ) or outreach_permissions.can_coordinate_organization(user, org)
