"""Who may do what in an assembly. Every access function, service and view asks here.

An assembly is run by the admins of the organization that holds it. Its member groups are the
coalition's active members; each group's admins speak for it. People take part in their own
name when the assembly lets them: added by their group's admin, or signed up where it is open.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.permissions import email_verified
from assemblies.models import Assembly, AssemblyPerson
from coalitions.models import Membership
from directory import permissions as directory_permissions
from directory.models import Organization, OrganizationAdmin
from vouching.selectors import assembly_admitted_q


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(user.is_active)


def is_admin(user: Any, assembly: Assembly) -> bool:
    return directory_permissions.is_organization_admin(user, assembly.organization)


def member_groups(assembly: Assembly) -> QuerySet[Organization]:
    ids = Membership.objects.active().filter(coalition_id=assembly.organization_id)
    # Only verified groups that meet the coalition's own bar take part (vouching/).
    return Organization.objects.filter(
        assembly_admitted_q(assembly.organization_id),
        pk__in=ids.values("member_id"),
        is_hidden=False,
    )


def groups_spoken_for(user: Any, assembly: Assembly) -> list[Organization]:
    """The member groups whose vote this person may cast (they are an admin of each, with a
    confirmed address)."""
    if not signed_in(user) or not email_verified(user):
        return []
    return list(
        member_groups(assembly)
        .filter(pk__in=OrganizationAdmin.objects.filter(user=user).values("organization_id"))
        .order_by("name", "id")
    )


def is_person(user: Any, assembly: Assembly) -> bool:
    return signed_in(user) and AssemblyPerson.objects.filter(assembly=assembly, user=user).exists()


def is_participant(user: Any, assembly: Assembly, groups: list[Organization] | None = None) -> bool:
    """May propose, support, argue and vote in their own name. A page that already has the
    groups the person speaks for passes them in, to ask once."""
    if not signed_in(user):
        return False
    if groups is None:
        groups = groups_spoken_for(user, assembly)
    return bool(groups) or is_admin(user, assembly) or is_person(user, assembly)


def require_admin(user: Any, assembly: Assembly) -> None:
    if not is_admin(user, assembly):
        raise PermissionDenied(
            _("Only the admins of %(name)s run its assembly.") % {"name": assembly}
        )


def require_participant(user: Any, assembly: Assembly) -> None:
    if not is_participant(user, assembly):
        raise PermissionDenied(
            _("Only members of the assembly of %(name)s can do this.") % {"name": assembly}
        )


def may_see(user: Any, assembly: Assembly) -> bool:
    """Assemblies deliberate in public, like the coalitions that hold them, unless the listing
    is hidden (then only its admins and site coordinators)."""
    if not assembly.organization.is_hidden:
        return True
    return is_admin(user, assembly) or directory_permissions.is_site_coordinator(user)


def check_visible(user: Any, assembly: Assembly) -> None:
    if not may_see(user, assembly):
        raise Http404
