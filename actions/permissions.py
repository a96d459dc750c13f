"""Who may do what with calls, commitments and alerts. Every view and service asks here.

A call is issued and managed by the admins of its coalition. An organization commits, withdraws
and reports through its own admins. Alerts are sent by coordinators: site coordinators anywhere,
regional coordinators inside their place, and coalition admins in their coalition's name.
"""

from typing import Any

from actions.models import CallToAction, Commitment
from directory import permissions as directory_permissions
from directory.models import Organization
from places.models import Place


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def can_issue_call(user: Any, coalition: Organization) -> bool:
    return coalition.is_coalition and directory_permissions.is_organization_admin(user, coalition)


def can_manage_call(user: Any, call: CallToAction) -> bool:
    return directory_permissions.is_organization_admin(user, call.coalition)


def can_commit(user: Any, organization: Organization) -> bool:
    return directory_permissions.is_organization_admin(user, organization)


def can_report(user: Any, commitment: Commitment) -> bool:
    return directory_permissions.is_organization_admin(user, commitment.organization)


def can_send_alert(user: Any, place: Place | None, sender: Organization | None = None) -> bool:
    if not _signed_in(user):
        return False
    if directory_permissions.is_site_coordinator(user):
        return True
    if sender is not None and sender.is_coalition:
        return directory_permissions.is_organization_admin(user, sender)
    return place is not None and directory_permissions.is_regional_coordinator_for(user, place)


def may_send_some_alert(user: Any) -> bool:
    """Whether the alert form is worth showing: the person could send at least one alert."""
    if not _signed_in(user):
        return False
    return (
        directory_permissions.is_site_coordinator(user)
        or user.regional_roles.exists()
        or Organization.objects.coalitions()
        .filter(pk__in=directory_permissions.administered_organization_ids(user))
        .exists()
    )


def can_see_delivery_status(user: Any, sent_by_id: int | None, sender: Organization | None) -> bool:
    if not _signed_in(user):
        return False
    if directory_permissions.is_site_coordinator(user) or user.pk == sent_by_id:
        return True
    return sender is not None and directory_permissions.is_organization_admin(user, sender)
