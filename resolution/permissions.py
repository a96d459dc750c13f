"""Who may merge, split and decide duplicates: site coordinators everywhere, regional
coordinators for organizations inside the places they coordinate.

Acting on two organizations at once (a review pair, a merge) needs authority over both: a
coordinator for Oregon may see a pair linking a Portland record to a California group, but only
a coordinator of both places, or a site coordinator, may decide it.
"""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from directory.models import Organization, OrganizationAdmin
from directory.permissions import coordinator_scope_q, is_site_coordinator
from places.models import PlaceKind


def can_resolve_anything(user: Any) -> bool:
    return is_site_coordinator(user) or coordinator_scope_q(user) is not None


def can_resolve(user: Any, org: Organization | None) -> bool:
    if is_site_coordinator(user):
        return True
    if org is None or org.place_lft is None:
        return False
    scope = coordinator_scope_q(user)
    return scope is not None and Organization.objects.filter(scope, pk=org.pk).exists()


def can_merge(user: Any, keep: Organization, other: Organization) -> bool:
    return can_resolve(user, keep) and can_resolve(user, other)


def merge_needs_second(user: Any, keep: Organization, other: Organization) -> bool:
    """Merging a listing that people run, other than the coordinator's own groups, waits for a
    second coordinator (vouching/): an impostor could otherwise fold a real group into a fake
    one. Listings nobody has claimed (imports) merge at once, as the duplicates queue needs."""
    for org in (keep, other):
        admins = OrganizationAdmin.objects.filter(organization=org)
        if admins.exists() and not admins.filter(user=user).exists():
            return True
    return False


def review_visible_q(user: Any) -> Q | None:
    """Review pairs the user may see: either side inside their places, or None for none."""
    if is_site_coordinator(user):
        return Q()
    a = coordinator_scope_q(user, "record_a__organization__place_lft")
    b = coordinator_scope_q(user, "record_b__organization__place_lft")
    if a is None or b is None:
        return None
    return a | b


def review_scope_q(user: Any) -> Q | None:
    """Review pairs the user may decide: both sides inside their places, or None for none."""
    if is_site_coordinator(user):
        return Q()
    a = coordinator_scope_q(user, "record_a__organization__place_lft")
    b = coordinator_scope_q(user, "record_b__organization__place_lft")
    if a is None or b is None:
        return None
    return a & b


def _where(org: Organization | None) -> str:
    if org is None:
        return _("has no organization yet")
    place = getattr(org, "home_place", None)
    if place is None:
        return _("has no place yet")
    # "Oakland, California": the region is what tells a coordinator it is not theirs.
    region = next((a for a in reversed(place.ancestors()) if a.kind == PlaceKind.STATE), None)
    label = f"{place.name}, {region.name}" if region and region.pk != place.pk else place.name
    return _("is in %(place)s") % {"place": label}


def pair_refusal(user: Any, pair: Any) -> str:
    """Why the user may not decide this pair, in words for them; empty when they may."""
    outside = [
        (position, record)
        for position, record in ((_("first"), pair.record_a), (_("second"), pair.record_b))
        if not can_resolve(user, record.organization)
    ]
    if not outside:
        return ""
    position, record = outside[0]
    return _(
        "The %(position)s listing, “%(name)s”, %(where)s, outside the places you "
        "coordinate. A coordinator of both places or a site coordinator can decide this pair."
    ) % {"position": position, "name": record.name, "where": _where(record.organization)}
