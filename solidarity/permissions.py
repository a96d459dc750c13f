"""Who may see and do what with requests, offers, pledges and campaigns. Every view and service
asks here.

A group's admins post and manage its requests and offers, pledge in its name, and confirm what
it received. Who sees a request is the requesting group's choice: anyone, the groups in its
coalitions, or groups it names. Sensitive requests are never shown to anyone signed out, and
never leave the hub in feeds or the API.
"""

from typing import Any

from django.db.models import Q

from coalitions.models import Membership
from directory import permissions as directory_permissions
from directory.models import Organization, Standing
from solidarity.models import Pledge, SupportOffer, SupportRequest, Visibility


def signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def own_ids(user: Any) -> list[int]:
    return directory_permissions.administered_organization_ids(user)


def is_admin(user: Any, org: Organization) -> bool:
    return directory_permissions.is_organization_admin(user, org)


def coalition_peer_q(org_ids: list[int], field: str = "organization_id") -> Q:
    """Rows whose `field` is a group sharing an active coalition with one of `org_ids`, one of
    their coalitions, or a member of a coalition among them."""
    mine = Membership.objects.active().filter(member_id__in=org_ids).values("coalition_id")
    fellows = Membership.objects.active().filter(coalition_id__in=mine).values("member_id")
    members = Membership.objects.active().filter(coalition_id__in=org_ids).values("member_id")
    return (
        Q(**{f"{field}__in": mine})
        | Q(**{f"{field}__in": fellows})
        | Q(**{f"{field}__in": members})
    )


def visible_q(user: Any, *, model: type[SupportRequest] | type[SupportOffer] = SupportRequest) -> Q:
    """What this person may see of requests (or offers): a filter for QuerySets."""
    public = Q(visibility=Visibility.PUBLIC)
    if model is SupportRequest:
        public &= Q(sensitive=False)
    if not signed_in(user):
        return public
    if directory_permissions.is_site_coordinator(user):
        return Q()
    ids = own_ids(user)
    if not ids:
        return public
    q = public | Q(organization_id__in=ids)
    # What a group shows its coalitions reaches only fellow groups that others have vouched for.
    verified = list(
        Organization.objects.filter(pk__in=ids, standing=Standing.VERIFIED).values_list(
            "pk", flat=True
        )
    )
    q |= Q(visibility=Visibility.COALITIONS) & coalition_peer_q(verified)
    through = model.visible_to.through
    named = through.objects.filter(organization_id__in=ids).values(f"{model._meta.model_name}_id")
    q |= Q(visibility=Visibility.NAMED, pk__in=named)
    if model is SupportRequest:
        q |= Q(pk__in=Pledge.objects.filter(organization_id__in=ids).values("request_id"))
    return q


def can_see(user: Any, posting: SupportRequest | SupportOffer) -> bool:
    return (
        type(posting).objects.filter(visible_q(user, model=type(posting)), pk=posting.pk).exists()
    )


def can_post(user: Any, org: Organization) -> bool:
    return is_admin(user, org)


def can_manage(user: Any, posting: SupportRequest | SupportOffer) -> bool:
    return is_admin(user, posting.organization)


def can_pledge(user: Any, request: SupportRequest, org: Organization) -> bool:
    return is_admin(user, org) and org.pk != request.organization_id and can_see_as(org, request)


def can_see_as(org: Organization, request: SupportRequest) -> bool:
    """Whether the request is shown to this group (not to a person)."""
    if request.organization_id == org.pk:
        return True
    if request.visibility == Visibility.PUBLIC:
        return True
    if request.visibility == Visibility.NAMED:
        return request.visible_to.filter(pk=org.pk).exists()
    return SupportRequest.objects.filter(coalition_peer_q([org.pk]), pk=request.pk).exists()


def is_pledger(user: Any, pledge: Pledge) -> bool:
    return is_admin(user, pledge.organization)


def is_requester(user: Any, pledge: Pledge) -> bool:
    return is_admin(user, pledge.request.organization)


def can_see_pledge(user: Any, pledge: Pledge) -> bool:
    return is_pledger(user, pledge) or is_requester(user, pledge)


def can_run_campaign(user: Any, coalition: Organization) -> bool:
    return coalition.is_coalition and is_admin(user, coalition)
