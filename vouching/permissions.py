"""Who may vouch, suspend, see vouches, set a coalition's bar and confirm a pending action.

Vouching is done by the admins of verified groups, in their group's name, or by a regional
coordinator of the group's place (or a site coordinator) in their own, always with a reason.
Suspending is kept to coordinators. Vouches are shown to the group's own admins, to the
coordinators of its place and to the admins of coalitions it belongs to or has asked to join:
the people who decide whether to trust it.
"""

from typing import Any

from django.db.models import Q

from coalitions.models import Membership
from directory import permissions as directory_permissions
from directory.models import Organization, OrganizationAdmin, Standing
from places.models import Place


def signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def coordinates(user: Any, org: Organization) -> bool:
    """A site coordinator, or a regional coordinator whose place holds the group."""
    return directory_permissions.is_site_coordinator(
        user
    ) or directory_permissions.is_regional_coordinator_for(user, org.home_place)


def is_coordinator(user: Any) -> bool:
    return signed_in(user) and (
        directory_permissions.is_site_coordinator(user) or user.regional_roles.exists()
    )


def voucher_groups(user: Any, org: Organization) -> list[Organization]:
    """The verified groups this person may vouch with for `org` (they are an admin of each)."""
    if not signed_in(user) or directory_permissions.is_organization_admin(user, org):
        return []
    return list(
        Organization.objects.filter(
            pk__in=OrganizationAdmin.objects.filter(user=user).values("organization_id"),
            standing=Standing.VERIFIED,
            is_hidden=False,
        )
        .exclude(pk=org.pk)
        .order_by("name", "id")
    )


def can_vouch_as(user: Any, voucher: Organization, org: Organization) -> bool:
    # Nobody vouches for a group they run themselves.
    return (
        voucher.pk != org.pk
        and voucher.is_verified
        and org.standing != Standing.SUSPENDED
        and directory_permissions.is_organization_admin(user, voucher)
        and not directory_permissions.is_organization_admin(user, org)
    )


def can_vouch_as_coordinator(user: Any, org: Organization) -> bool:
    return (
        signed_in(user)
        and org.standing != Standing.SUSPENDED
        and coordinates(user, org)
        and not directory_permissions.is_organization_admin(user, org)
    )


def can_suspend(user: Any, org: Organization) -> bool:
    return signed_in(user) and coordinates(user, org)


def can_see_vouches(user: Any, org: Organization) -> bool:
    if not signed_in(user):
        return False
    if directory_permissions.is_organization_admin(user, org) or coordinates(user, org):
        return True
    mine = OrganizationAdmin.objects.filter(user=user).values("organization_id")
    linked = Membership.objects.filter(member=org, coalition_id__in=mine).exists()
    return linked or org.vouches_received.filter(voucher_id__in=mine).exists()


def can_set_bar(user: Any, coalition: Organization) -> bool:
    return coalition.is_coalition and directory_permissions.is_organization_admin(user, coalition)


def can_admit(user: Any, coalition: Organization) -> bool:
    """A coalition's admins record a meeting or an approval (the hub has no delegates of a
    coalition apart from its admins yet)."""
    return can_set_bar(user, coalition)


def coordinator_scope(user: Any, place: Place | None) -> bool:
    """May act as a coordinator for `place` (None: only a site coordinator may)."""
    if directory_permissions.is_site_coordinator(user):
        return True
    return place is not None and directory_permissions.is_regional_coordinator_for(user, place)


def pending_visible_q(user: Any) -> Q | None:
    """Pending actions this coordinator sees: a site coordinator all, a regional coordinator
    those for places inside theirs. None: none."""
    if directory_permissions.is_site_coordinator(user):
        return Q()
    if not signed_in(user):
        return None
    scope = directory_permissions.coordinator_scope_q(user, "place__lft")
    return scope
