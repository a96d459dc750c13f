"""Who may merge, split and decide duplicates: site coordinators everywhere, regional
coordinators for organizations inside the places they coordinate."""

from typing import Any

from django.db.models import Q

from directory.models import Organization
from directory.permissions import coordinator_scope_q, is_site_coordinator


def can_resolve_anything(user: Any) -> bool:
    return is_site_coordinator(user) or coordinator_scope_q(user) is not None


def can_resolve(user: Any, org: Organization | None) -> bool:
    if is_site_coordinator(user):
        return True
    if org is None or org.place_lft is None:
        return False
    scope = coordinator_scope_q(user)
    return scope is not None and Organization.objects.filter(scope, pk=org.pk).exists()


def review_scope_q(user: Any) -> Q | None:
    """Review pairs the user may decide, or None for none at all."""
    if is_site_coordinator(user):
        return Q()
    a = coordinator_scope_q(user, "record_a__organization__place_lft")
    b = coordinator_scope_q(user, "record_b__organization__place_lft")
    if a is None or b is None:
        return None
    return a | b
