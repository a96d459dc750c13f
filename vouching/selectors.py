"""Reads about vouches, suspensions, assembly bars and pending actions, limited to what the
person may see."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from coalitions.models import Membership
from directory.models import Organization, Standing
from vouching import permissions
from vouching.models import Admission, AssemblyBar, Bar, PendingAction, PendingState, Vouch

# A vouch tree page stops here: enough to see how far an impostor reached, short enough to read.
TREE_MAX_GROUPS = 500


def get_group_for_user(user: Any, slug: str) -> Organization:
    org = Organization.objects.select_related("home_place").filter(slug=slug).first()
    if org is None or (org.is_hidden and not permissions.coordinates(user, org)):
        raise Http404
    return org


def vouches_received(org: Organization) -> QuerySet[Vouch]:
    return Vouch.objects.filter(organization=org).select_related("voucher", "by")


@dataclass
class TreeNode:
    vouch: Vouch
    children: list["TreeNode"] = field(default_factory=list)


def vouch_tree(org: Organization, *, show_hidden: bool = False) -> tuple[list[TreeNode], bool]:
    """What `org` vouched for, and what those groups vouched for in turn, breadth first. Each
    group appears once. Hidden listings are left out unless `show_hidden` (a coordinator).
    Returns the top level and whether the tree was cut short."""
    roots: list[TreeNode] = []
    seen = {org.pk}
    frontier: list[tuple[int, list[TreeNode]]] = [(org.pk, roots)]
    cut = False
    while frontier:
        parents = {pk: children for pk, children in frontier}
        frontier = []
        rows = (
            Vouch.objects.filter(voucher_id__in=list(parents))
            .select_related("organization", "by")
            .order_by("voucher_id", "created_at", "id")
        )
        if not show_hidden:
            rows = rows.filter(organization__is_hidden=False)
        for vouch in rows:
            if vouch.organization_id in seen:
                continue
            if len(seen) > TREE_MAX_GROUPS:
                cut = True
                break
            seen.add(vouch.organization_id)
            node = TreeNode(vouch=vouch)
            parents[vouch.voucher_id or 0].append(node)
            frontier.append((vouch.organization_id, node.children))
    return roots, cut


def flagged_for_review(user: Any) -> QuerySet[Vouch]:
    """Vouches given by suspended groups, in the places this coordinator looks after."""
    rows = Vouch.objects.filter(flagged_at__isnull=False, reviewed_at__isnull=True)
    if permissions.directory_permissions.is_site_coordinator(user):
        return rows.select_related("organization", "voucher")
    scope = permissions.directory_permissions.coordinator_scope_q(user, "organization__place_lft")
    if scope is None:
        return Vouch.objects.none()
    return rows.filter(scope).select_related("organization", "voucher")


def assembly_bar(coalition: Organization) -> str:
    return (
        AssemblyBar.objects.filter(coalition=coalition).values_list("bar", flat=True).first()
        or Bar.VERIFIED
    )


def member_vouched_ids(coalition_id: int) -> QuerySet[Any]:
    """Groups with at least two live vouches from the coalition's active member groups."""
    members = Membership.objects.active().filter(coalition_id=coalition_id).values("member_id")
    return (
        Vouch.objects.filter(voucher_id__in=members, flagged_at__isnull=True)
        .values("organization_id")
        .annotate(n=Count("voucher_id", distinct=True))
        .filter(n__gte=2)
        .values("organization_id")
    )


def assembly_admitted_q(coalition_id: int) -> Q:
    """A filter on organizations: the member groups that may take part in this coalition's
    assembly. Always verified ones; past that, whatever bar the coalition chose."""
    q = Q(standing=Standing.VERIFIED)
    bar = (
        AssemblyBar.objects.filter(coalition_id=coalition_id).values_list("bar", flat=True).first()
    )
    if bar is None or bar == Bar.VERIFIED:
        return q
    allowed = Q(pk__in=Admission.objects.filter(coalition_id=coalition_id).values("member_id"))
    if bar == Bar.VOUCHES:
        allowed |= Q(pk__in=member_vouched_ids(coalition_id))
    return q & allowed


def waiting_members(coalition: Organization) -> QuerySet[Organization]:
    """Active member groups not (yet) in the coalition's assembly, for its admins' page."""
    members = Membership.objects.active().filter(coalition=coalition).values("member_id")
    return (
        Organization.objects.filter(pk__in=members)
        .exclude(assembly_admitted_q(coalition.pk))
        .order_by("name", "id")
    )


def pending_for_user(user: Any, *, open_only: bool = True) -> QuerySet[PendingAction]:
    """Pending actions this coordinator may see (a site coordinator all, a regional one those
    for places inside theirs, and their own requests)."""
    scope = permissions.pending_visible_q(user)
    if scope is None:
        return PendingAction.objects.none()
    # An empty Q() would vanish when or-ed with another, so "everything" is kept apart.
    rows = (
        PendingAction.objects.all()
        if not scope
        else PendingAction.objects.filter(scope | Q(requested_by=user))
    )
    if open_only:
        rows = rows.filter(state=PendingState.PENDING)
    return rows.select_related("requested_by", "decided_by", "place")


def get_pending_for_user(user: Any, pk: int) -> PendingAction:
    action = pending_for_user(user, open_only=False).filter(pk=pk).first()
    if action is None:
        raise Http404
    return action
