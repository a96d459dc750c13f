"""Who may see, join and moderate a conversation. Every view, selector and service asks here.

A conversation's home is the organization it is attached to, or the coalition that issued its
call. Members are the home's admins and the admins of the home's active member organizations.
Moderators are the creator, the home's admins (a coalition's coordinators) and site coordinators.
"""

from typing import Any

from coalitions.models import Membership, MembershipStatus
from commonground.models import Access, Conversation
from directory import permissions as directory_permissions
from directory.models import Organization, Standing


def signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def home_of(conversation: Conversation) -> Organization | None:
    if conversation.organization_id is not None:
        return conversation.organization
    if conversation.call_id is not None:
        return conversation.call.coalition  # type: ignore[union-attr]
    return None


def member_home_ids(user: Any) -> set[int]:
    """Organizations whose conversations count the user as a member: the ones they administer
    and the coalitions those belong to."""
    own = directory_permissions.administered_organization_ids(user)
    if not own:
        return set()
    # A coalition's member-only conversations admit only member groups others have vouched
    # for (vouching/); a group's own conversations are its own either way.
    coalitions = Membership.objects.filter(
        member_id__in=own, member__standing=Standing.VERIFIED, status=MembershipStatus.ACTIVE
    ).values_list("coalition_id", flat=True)
    return set(own) | set(coalitions)


def can_moderate(user: Any, conversation: Conversation) -> bool:
    if not signed_in(user):
        return False
    if directory_permissions.is_site_coordinator(user) or conversation.created_by_id == user.pk:
        return True
    home = home_of(conversation)
    return home is not None and directory_permissions.is_organization_admin(user, home)


def is_member(user: Any, conversation: Conversation) -> bool:
    home = home_of(conversation)
    return home is not None and home.pk in member_home_ids(user)


def is_restricted(conversation: Conversation) -> bool:
    """Private, or attached to a listing that is hidden from public pages."""
    home = home_of(conversation)
    return conversation.is_private or (home is not None and home.is_hidden)


def can_see(user: Any, conversation: Conversation) -> bool:
    if not is_restricted(conversation):
        return True
    return can_moderate(user, conversation) or is_member(user, conversation)


def can_take_part(user: Any, conversation: Conversation) -> bool:
    if not signed_in(user) or conversation.is_closed or not can_see(user, conversation):
        return False
    if conversation.access == Access.OPEN:
        return True
    return can_moderate(user, conversation) or is_member(user, conversation)


def can_attach_to_organization(user: Any, organization: Organization) -> bool:
    return directory_permissions.is_organization_admin(user, organization)
