"""Reads of the directory, already limited to what the asking person may see."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import Sqrt
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.http import Http404

from directory import permissions, search
from directory.models import (
    DirectoryState,
    IssueArea,
    IssueLink,
    Organization,
    OrganizationKind,
    OrganizationQuerySet,
    OrganizationStatus,
    PrivateContact,
)
from places.models import Place

KM_PER_DEGREE = 111.195
MAX_RADIUS_KM = 2000.0


def visible_organizations(user: Any) -> OrganizationQuerySet:
    """Everything public, plus hidden listings the user is responsible for."""
    qs = Organization.objects.all()
    if permissions.is_site_coordinator(user):
        return qs
    visible = Q(is_hidden=False)
    own = permissions.administered_organization_ids(user)
    if own:
        visible |= Q(pk__in=own)
    scope = permissions.coordinator_scope_q(user)
    if scope is not None:
        visible |= scope
    return qs.filter(visible)


def issue_area_resolve(issue: IssueArea | str | None) -> IssueArea | None:
    if issue is None or issue == "":
        return None
    if isinstance(issue, IssueArea):
        return issue
    found = IssueArea.objects.filter(slug=issue).first()
    if found is None:
        raise ValidationError({"issue": f"There is no issue area called “{issue}”."})
    return found


def issue_mask_q(issue: IssueArea) -> Q:
    """Organizations working on `issue`, tested on the bit mask to avoid a join."""
    return Q(GreaterThan(F("issue_mask").bitand(1 << issue.bit), 0))


def _check_choice(field: str, value: str, choices: list[str]) -> None:
    if value and value not in choices:
        raise ValidationError({field: f"“{value}” is not one of: {', '.join(choices)}."})


def organization_search(
    *,
    user: Any,
    q: str = "",
    place: Place | None = None,
    issue: IssueArea | str | None = None,
    kind: str = "",
    status: str = "",
    near: Place | None = None,
    radius_km: float = 50.0,
) -> OrganizationQuerySet:
    """Organizations matching every given filter, ordered by name (or by distance with `near`).

    `place` may be a tree place or an overlay region: either way everything below it counts.
    With `near`, only organizations within `radius_km` of the place's centre are returned and
    each carries a `distance_km` annotation. Bad values raise ValidationError naming the field.
    """
    _check_choice("kind", kind, OrganizationKind.values)
    _check_choice("status", status, OrganizationStatus.values)
    issue_area = issue_area_resolve(issue)

    qs = visible_organizations(user)
    if place is not None:
        qs = qs.filter(place.contains_q("place_lft"))
    if issue_area is not None:
        qs = qs.filter(issue_mask_q(issue_area))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = search.filter_text(qs, q)
    if near is not None:
        return _within(qs, near, radius_km)
    return qs.order_by("name", "id")


def _within(qs: OrganizationQuerySet, near: Place, radius_km: float) -> OrganizationQuerySet:
    if near.latitude is None or near.longitude is None:
        raise ValidationError({"near": f"{near.name} has no known coordinates."})
    if not (0 < radius_km <= MAX_RADIUS_KM) or math.isnan(radius_km):
        raise ValidationError({"radius_km": f"Choose a radius between 0 and {MAX_RADIUS_KM:g} km."})
    lat0, lng0 = near.latitude, near.longitude
    # Equirectangular distance: within a few hundred km it is off by well under 1%, and it is
    # plain arithmetic, so it runs the same on SQLite and PostgreSQL.
    shrink = max(math.cos(math.radians(lat0)), 0.01)
    dlat_deg = radius_km / KM_PER_DEGREE
    dlng_deg = dlat_deg / shrink
    dy = F("latitude") - lat0
    dx = (F("longitude") - lng0) * shrink
    squared = dy * dy + dx * dx
    return (
        qs.filter(
            latitude__gte=lat0 - dlat_deg,
            latitude__lte=lat0 + dlat_deg,
            longitude__gte=lng0 - dlng_deg,
            longitude__lte=lng0 + dlng_deg,
        )
        .alias(distance_sq=squared)
        .filter(LessThanOrEqual(F("distance_sq"), dlat_deg * dlat_deg))
        .annotate(distance_km=Sqrt(squared) * KM_PER_DEGREE)
        .order_by("distance_sq", "id")
    )


def get_organization_for_user(
    user: Any, pk_or_slug: int | str, *, write: bool = False
) -> Organization:
    """The one access function for a single listing: 404 if unseen, 403 if not editable."""
    key = str(pk_or_slug)
    # Digits are an id, unless too long for a 64-bit integer (then they can only be a slug).
    lookup = (
        Q(pk=int(key)) if key.isascii() and key.isdigit() and len(key) <= 18 else Q(slug=key[:140])
    )
    org = Organization.objects.select_related("home_place").filter(lookup).first()
    if org is None or not permissions.can_see_organization(user, org):
        raise Http404("No such organization.")
    if write and not permissions.can_edit_organization(user, org):
        raise PermissionDenied("Only this organization's admins can change its listing.")
    return org


def organization_private_contact_for_user(user: Any, org: Organization) -> PrivateContact | None:
    if not permissions.can_see_private_contact(user, org):
        return None
    return PrivateContact.objects.filter(organization=org).first()


def issue_areas_list() -> list[IssueArea]:
    """The taxonomy with each area's cross-links, both directions, prefetched."""
    return list(
        IssueArea.objects.prefetch_related(
            Prefetch("links_out", queryset=IssueLink.objects.select_related("to_issue")),
            Prefetch("links_in", queryset=IssueLink.objects.select_related("from_issue")),
        ).order_by("name")
    )


def issue_area_related(issue: IssueArea) -> list[IssueArea]:
    """Issue areas that crosshatch with `issue`, whichever way the link was recorded."""
    return list(
        IssueArea.objects.filter(Q(links_in__from_issue=issue) | Q(links_out__to_issue=issue))
        .distinct()
        .order_by("name")
    )


def directory_version() -> int:
    version = DirectoryState.objects.values_list("version", flat=True).order_by("pk").first()
    return int(version or 0)


# Per-process cache of counts, keyed by place and invalidated by the directory version.
_counts_cache: dict[int | None, tuple[int, dict[str, int]]] = {}


def directory_counts(place: Place | None = None) -> dict[str, int]:
    """Public counts for the home page and place pages: organizations, coalitions, places."""
    version = directory_version()
    key = place.pk if place is not None else None
    cached = _counts_cache.get(key)
    if cached is not None and cached[0] == version:
        return dict(cached[1])
    qs = Organization.objects.public()
    if place is not None:
        qs = qs.filter(place.contains_q("place_lft"))
    totals = qs.aggregate(
        organizations=Count("id"),
        coalitions=Count("id", filter=Q(kind=OrganizationKind.COALITION)),
        active=Count("id", filter=Q(status=OrganizationStatus.ACTIVE)),
        places=Count("place_lft", distinct=True),
    )
    counts = {k: int(v or 0) for k, v in totals.items()}
    if len(_counts_cache) > 5000:
        _counts_cache.clear()
    _counts_cache[key] = (version, counts)
    return dict(counts)
