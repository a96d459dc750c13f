"""Reads for claims and outreach, limited to what the person may see."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from directory import permissions as directory_permissions
from directory.models import IssueArea, Organization, OrganizationAdmin
from outreach import permissions
from outreach.models import ClaimRequest, ClaimStatus, OutreachEntry
from places.models import Place


def get_entry_for_user(user: Any, pk: int) -> OutreachEntry:
    """The one access function for an outreach entry: 404 if missing, 403 if not this
    person's team."""
    entry = (
        OutreachEntry.objects.select_related("organization", "place", "assigned_to")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404("No such outreach entry.")
    if not permissions.can_work_place(user, entry.place):
        raise PermissionDenied("Only the coordinators of this place see its outreach.")
    return entry


def entries_for_user(user: Any) -> QuerySet[OutreachEntry]:
    q = permissions.entry_places_q(user)
    qs = OutreachEntry.objects.select_related("organization", "place", "assigned_to")
    return qs if q is None else qs.filter(q)


@dataclass
class EntryFilters:
    stage: str = ""
    place: Place | None = None
    issue: IssueArea | None = None
    # "me", "none" or a user id as text.
    assigned: str = ""
    overdue: bool = False


def entries_filtered(user: Any, filters: EntryFilters, today: date) -> QuerySet[OutreachEntry]:
    qs = entries_for_user(user)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.place is not None:
        # Where the group is, so a region's filter finds groups in every member place.
        qs = qs.filter(filters.place.contains_q("organization__place_lft"))
    if filters.issue is not None:
        bit = 1 << filters.issue.bit
        qs = qs.annotate(_issue=F("organization__issue_mask").bitand(bit)).filter(_issue=bit)
    if filters.assigned == "me":
        qs = qs.filter(assigned_to=user)
    elif filters.assigned == "none":
        qs = qs.filter(assigned_to__isnull=True)
    elif filters.assigned.isdigit():
        qs = qs.filter(assigned_to_id=int(filters.assigned))
    if filters.overdue:
        qs = qs.filter(next_step_on__lt=today).exclude(stage="active")
    return qs.order_by(F("next_step_on").asc(nulls_last=True), "organization__name", "pk")


def _with_admins(qs: QuerySet[ClaimRequest]) -> QuerySet[ClaimRequest]:
    admins = OrganizationAdmin.objects.filter(organization=OuterRef("organization"))
    return qs.annotate(has_admins=Exists(admins))


def claims_pending_for_user(user: Any) -> QuerySet[ClaimRequest]:
    """The coordinators' queue; requests on listings with admins are marked `has_admins`, as
    those admins decide."""
    qs = ClaimRequest.objects.filter(status=ClaimStatus.PENDING).select_related(
        "organization", "organization__home_place", "user"
    )
    q = permissions.organizations_scope_q(user, "organization__place_lft")
    return _with_admins(qs if q is None else qs.filter(q))


def claims_for_admin(user: Any) -> QuerySet[ClaimRequest]:
    """Pending requests to join the listings this person looks after."""
    ids = directory_permissions.administered_organization_ids(user)
    return (
        ClaimRequest.objects.filter(status=ClaimStatus.PENDING, organization_id__in=ids)
        .select_related("organization", "user")
        .order_by("created_at", "id")
    )


def get_claim_for_user(user: Any, pk: int) -> ClaimRequest:
    """A request, to its listing's admins and to the coordinators of the group's place."""
    claim = ClaimRequest.objects.select_related("organization", "user").filter(pk=pk).first()
    if claim is None:
        raise Http404("No such claim request.")
    if not (
        directory_permissions.is_organization_admin(user, claim.organization)
        or permissions.can_coordinate_organization(user, claim.organization)
    ):
        raise PermissionDenied(
            "Only this listing's admins and its place's coordinators can see this."
        )
    return claim


def team_places_for_user(user: Any, organization: Organization | None = None) -> list[Place]:
    """The places whose outreach this person works on (those containing `organization`, if
    given). Site coordinators without a place work from the group's home place."""
    places = permissions.coordinated_places(user)
    if organization is not None:
        places = [
            p
            for p in places
            if Organization.objects.filter(pk=organization.pk).filter(p.contains_q()).exists()
        ]
        if not places and permissions.can_work_place(user, organization.home_place):
            places = [organization.home_place] if organization.home_place else []
    return places


def assignable_people(entry_place: Place) -> list[Any]:
    from accounts.models import User

    candidates = User.objects.filter(
        Q(is_site_coordinator=True) | Q(regional_roles__isnull=False), is_active=True
    ).distinct()
    return [u for u in candidates.order_by("email") if permissions.can_work_place(u, entry_place)]
