"""Reads of the coalition graph, limited to public listings unless the asker may see more."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from coalitions.models import Membership, MembershipQuerySet, MembershipStatus
from directory import permissions
from directory.models import Organization, OrganizationKind, OrganizationQuerySet
from places.models import Place

MAX_GRAPH_DEPTH = 6
MAX_GRAPH_NODES = 2000


def coalition_members(coalition: Organization) -> OrganizationQuerySet:
    """The public organizations that are active members of `coalition`, by name."""
    return (
        Organization.objects.public()
        .filter(
            coalition_links__coalition=coalition, coalition_links__status=MembershipStatus.ACTIVE
        )
        .order_by("name", "id")
    )


def organization_coalitions(org: Organization) -> OrganizationQuerySet:
    """The public coalitions `org` actively belongs to, by name."""
    return (
        Organization.objects.public()
        .filter(member_links__member=org, member_links__status=MembershipStatus.ACTIVE)
        .order_by("name", "id")
    )


def coalitions_at_place(place: Place) -> OrganizationQuerySet:
    """Coalitions whose home is exactly this place (not places inside it)."""
    return (
        Organization.objects.public().coalitions().filter(home_place=place).order_by("name", "id")
    )


def memberships_for_user(user: Any, org: Organization) -> MembershipQuerySet:
    """Every membership of `org`, either side, pending ones included, for its own admins.

    Others see only active memberships between public listings.
    """
    qs = Membership.objects.select_related("coalition", "member").filter(
        Q(coalition=org) | Q(member=org)
    )
    if permissions.is_organization_admin(user, org):
        return qs.order_by("-created_at")
    return qs.filter(
        status=MembershipStatus.ACTIVE, coalition__is_hidden=False, member__is_hidden=False
    ).order_by("-created_at")


def memberships_awaiting(user: Any) -> MembershipQuerySet:
    """Pending requests and invitations the user can answer (the other side asked)."""
    own = permissions.administered_organization_ids(user)
    if not own:
        return Membership.objects.none()
    return (
        Membership.objects.select_related("coalition", "member")
        .filter(
            Q(status=MembershipStatus.REQUESTED, coalition_id__in=own)
            | Q(status=MembershipStatus.INVITED, member_id__in=own)
        )
        .order_by("created_at")
    )


def contained_ids(root_ids: Iterable[int], *, max_depth: int = 64) -> set[int]:
    """Every organization reachable downwards from `root_ids` by active memberships."""
    seen: set[int] = set()
    frontier = set(root_ids)
    for _ in range(max_depth):
        if not frontier:
            break
        children = set(
            Membership.objects.filter(
                coalition_id__in=frontier, status=MembershipStatus.ACTIVE
            ).values_list("member_id", flat=True)
        )
        frontier = children - seen
        seen |= children
    return seen


@dataclass
class CoalitionGraph:
    """Nodes around a coalition: members below it and coalitions above it, to a depth."""

    root: Organization
    nodes: dict[int, Organization] = field(default_factory=dict)
    # (coalition_id, member_id) for each active membership between two nodes.
    edges: list[tuple[int, int]] = field(default_factory=list)
    # Distance from the root: positive below (members), negative above (coalitions it is in).
    levels: dict[int, int] = field(default_factory=dict)
    truncated: bool = False


def coalition_graph(coalition: Organization, depth: int = 2) -> CoalitionGraph:
    depth = max(0, min(depth, MAX_GRAPH_DEPTH))
    graph = CoalitionGraph(
        root=coalition, nodes={coalition.pk: coalition}, levels={coalition.pk: 0}
    )
    edges: set[tuple[int, int]] = set()
    for direction in (1, -1):
        frontier = {coalition.pk}
        for level in range(1, depth + 1):
            if not frontier:
                break
            side = "coalition_id" if direction == 1 else "member_id"
            links: QuerySet = Membership.objects.filter(
                **{f"{side}__in": frontier},
                status=MembershipStatus.ACTIVE,
                coalition__is_hidden=False,
                member__is_hidden=False,
            ).values_list("coalition_id", "member_id")
            next_ids: set[int] = set()
            for coalition_id, member_id in links:
                edges.add((coalition_id, member_id))
                other = member_id if direction == 1 else coalition_id
                if other not in graph.levels:
                    graph.levels[other] = level * direction
                    next_ids.add(other)
            if len(graph.levels) > MAX_GRAPH_NODES:
                graph.truncated = True
                break
            frontier = next_ids
    for org in Organization.objects.public().filter(pk__in=list(graph.levels)):
        graph.nodes[org.pk] = org
    graph.edges = sorted((c, m) for c, m in edges if c in graph.nodes and m in graph.nodes)
    return graph


def is_coalition(org: Organization) -> bool:
    return org.kind == OrganizationKind.COALITION
