"""Who may see and act on a group's delegates, and the reads for their pages.

A delegate's record (mandates, votes cast, reports, recall) is public to the group's members:
the group's admins, the people of its own assembly (for a coalition, the admins of its member
groups and the people it lets in), and its delegates past and present. Nobody else sees it.
The group's admins appoint, elect, instruct and recall; a delegate reports and votes.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import User
from assemblies import notify, permissions
from assemblies.models import (
    Assembly,
    Delegate,
    DelegateStatus,
    DelegateVote,
    Delegation,
    Mandate,
    MandateState,
    Question,
)
from coalitions.models import Membership
from directory import permissions as directory_permissions
from directory.models import Organization, OrganizationAdmin


def group_people(group: Organization) -> QuerySet[User]:
    """The people who may stand as the group's delegates and read their record."""
    assembly = Assembly.objects.filter(organization=group).first()
    if assembly is not None:
        where = notify.audience_q(assembly)
    else:
        where = Q(pk__in=OrganizationAdmin.objects.filter(organization=group).values("user_id"))
    return User.objects.filter(where, is_active=True)


def is_group_admin(user: Any, group: Organization) -> bool:
    return directory_permissions.is_organization_admin(user, group)


def may_see_record(user: Any, group: Organization) -> bool:
    if not permissions.signed_in(user):
        return False
    if is_group_admin(user, group):
        return True
    if Delegate.objects.filter(group=group, user=user).exists():
        return True
    return group_people(group).filter(pk=user.pk).exists()


def require_record(user: Any, group: Organization) -> None:
    if not may_see_record(user, group):
        raise PermissionDenied(
            _("Only the members of %(name)s see its delegates' record.") % {"name": group}
        )


def require_group_admin(user: Any, group: Organization) -> None:
    if not is_group_admin(user, group):
        raise PermissionDenied(
            _("Only the admins of %(name)s choose and instruct its delegates.") % {"name": group}
        )


def coalitions_of(group: Organization) -> QuerySet[Organization]:
    """The coalitions the group belongs to now: where it may send delegates."""
    ids = Membership.objects.active().filter(member=group).values("coalition_id")
    return Organization.objects.filter(pk__in=ids).order_by("name", "id")


def require_member_of(group: Organization, coalition: Organization) -> None:
    if not Membership.objects.active().filter(member=group, coalition=coalition).exists():
        raise PermissionDenied(
            _("%(group)s is not a member of %(coalition)s.")
            % {"group": group, "coalition": coalition}
        )


def votes_by_delegates(group: Organization, coalition: Organization) -> bool:
    return Delegation.objects.filter(
        group=group, coalition=coalition, votes_by_delegates=True
    ).exists()


def require_not_delegated(user: Any, group: Organization, coalition: Organization) -> None:
    """Where a group votes by its delegates, its admins no longer cast its vote themselves
    (unless they are a delegate): the mandate would mean nothing otherwise."""
    if votes_by_delegates(group, coalition) and not active_seat(user, group, coalition):
        raise PermissionDenied(
            _("%(group)s votes here by its delegates; ask one of them to cast its vote.")
            % {"group": group}
        )


def voting_themselves(groups: list[Organization], assembly: Assembly) -> list[Organization]:
    """The groups whose admins cast their vote in this assembly: not those voting by delegates."""
    delegated = set(
        Delegation.objects.filter(
            coalition_id=assembly.organization_id,
            group__in=groups,
            votes_by_delegates=True,
        ).values_list("group_id", flat=True)
    )
    return [g for g in groups if g.pk not in delegated]


def active_seat(user: Any, group: Organization, coalition: Organization) -> Delegate | None:
    if not permissions.signed_in(user):
        return None
    return Delegate.objects.filter(
        group=group, coalition=coalition, user=user, status=DelegateStatus.ACTIVE
    ).first()


def get_group_for_user(user: Any, slug: str) -> Organization:
    group = get_object_or_404(Organization, slug=slug, is_hidden=False)
    require_record(user, group)
    return group


def get_delegate_for_user(user: Any, pk: int, *, write: bool = False) -> Delegate:
    """The delegate's record for the group's members; `write` for the group's admins."""
    delegate = get_object_or_404(
        Delegate.objects.select_related("group", "coalition", "user", "replaces__user"), pk=pk
    )
    require_record(user, delegate.group)
    if write:
        require_group_admin(user, delegate.group)
    return delegate


def delegates_of(group: Organization) -> QuerySet[Delegate]:
    return Delegate.objects.filter(group=group).select_related("user", "coalition", "election")


def seats_on(user: Any, question: Question) -> list[Delegate]:
    """The groups this person votes for as their delegate on a question of a coalition: active
    seats whose group votes by its delegates and is a member group of that assembly."""
    if not permissions.signed_in(user):
        return []
    assembly = question.assembly
    seats = Delegate.objects.filter(
        user=user,
        coalition_id=assembly.organization_id,
        status=DelegateStatus.ACTIVE,
        group__in=permissions.member_groups(assembly),
    ).select_related("group")
    return [s for s in seats if votes_by_delegates(s.group, s.coalition)]


def seat_line(delegate: Delegate) -> list[int]:
    """The delegate and the recalled ones whose seat passed down to them: a mandate is the
    group's instruction for the seat, so it holds for whoever sits in it now."""
    line, seen = [delegate.pk], {delegate.pk}
    pk = delegate.replaces_id
    while pk is not None and pk not in seen:
        line.append(pk)
        seen.add(pk)
        pk = Delegate.objects.filter(pk=pk).values_list("replaces_id", flat=True).first()
    return line


def mandates_on(delegate: Delegate, question: Question) -> QuerySet[Mandate]:
    """The mandates a delegate carries on a question, or on the proposal it decides."""
    about = Q(question=question)
    if question.proposal_id:
        about |= Q(proposal_id=question.proposal_id)
    return Mandate.objects.filter(
        about, delegate_id__in=seat_line(delegate), state=MandateState.GIVEN
    ).select_related("delegate__user")


def standing_vote(delegate: Delegate, question: Question) -> DelegateVote | None:
    return (
        DelegateVote.objects.filter(delegate=delegate, question=question)
        .select_related("carried_from__user")
        .first()
    )
