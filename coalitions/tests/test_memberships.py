import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from coalitions import selectors, services
from coalitions.models import MembershipStatus
from directory import services as directory_services


def test_it_turns_a_request_into_membership_when_the_coalition_accepts(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    assert m.status == MembershipStatus.REQUESTED
    assert list(selectors.coalition_members(cast.coalition)) == []
    with pytest.raises(PermissionDenied):
        services.membership_accept(user=organizer, membership=m)
    services.membership_accept(user=member, membership=m)
    assert list(selectors.coalition_members(cast.coalition)) == [cast.group]
    assert list(selectors.organization_coalitions(cast.group)) == [cast.coalition]
    assert AuditEvent.objects.filter(action="membership.active").exists()


def test_it_turns_an_invitation_into_membership_when_the_member_accepts(cast, organizer, member):
    m = services.membership_request(user=member, coalition=cast.coalition, member=cast.group)
    assert m.status == MembershipStatus.INVITED
    assert list(selectors.memberships_awaiting(organizer)) == [m]
    assert list(selectors.memberships_awaiting(member)) == []
    with pytest.raises(PermissionDenied):
        services.membership_accept(user=member, membership=m)
    assert (
        services.membership_accept(user=organizer, membership=m).status == MembershipStatus.ACTIVE
    )


def test_it_lets_the_asked_side_decline(cast, organizer, member):
    m = services.membership_request(user=member, coalition=cast.coalition, member=cast.group)
    m = services.membership_decline(user=organizer, membership=m)
    assert m.status == MembershipStatus.DECLINED
    with pytest.raises(ValidationError):
        services.membership_accept(user=organizer, membership=m)


def test_it_refuses_outsiders_on_both_sides(cast, outsider, member):
    with pytest.raises(PermissionDenied):
        services.membership_request(user=outsider, coalition=cast.coalition, member=cast.group)
    m = services.membership_request(user=member, coalition=cast.coalition, member=cast.group)
    for act in (services.membership_accept, services.membership_decline, services.membership_leave):
        with pytest.raises(PermissionDenied):
            act(user=outsider, membership=m)


def test_it_treats_asking_back_as_accepting(cast, organizer, member):
    services.membership_request(user=member, coalition=cast.coalition, member=cast.group)
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    assert m.status == MembershipStatus.ACTIVE


def test_it_lets_either_side_leave_and_ask_again(cast, organizer, member):
    m = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    services.membership_accept(user=member, membership=m)
    services.membership_leave(user=organizer, membership=m)
    assert list(selectors.coalition_members(cast.coalition)) == []
    with pytest.raises(ValidationError):
        services.membership_leave(user=member, membership=m)
    again = services.membership_request(user=organizer, coalition=cast.coalition, member=cast.group)
    assert again.pk == m.pk and again.status == MembershipStatus.REQUESTED


def test_it_refuses_self_membership_and_non_coalitions(cast, organizer, member):
    with pytest.raises(ValidationError) as info:
        services.membership_request(user=member, coalition=cast.coalition, member=cast.coalition)
    assert "member" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.membership_request(user=organizer, coalition=cast.group, member=cast.group)
    with pytest.raises(ValidationError) as info:
        directory_services.organization_admin_add(
            user=organizer, organization=cast.group, new_admin=member
        )
        services.membership_request(user=member, coalition=cast.group, member=cast.coalition)
    assert "coalition" in info.value.message_dict


def test_it_refuses_cycles_direct_and_transitive(cast, member, outsider):
    # Oregon Housing Coalition joins Cascadia Confederation (the member administers both).
    services.membership_request(user=member, coalition=cast.alliance, member=cast.coalition)
    with pytest.raises(ValidationError) as info:
        services.membership_request(user=member, coalition=cast.coalition, member=cast.alliance)
    assert "member" in info.value.message_dict
    # A third coalition inside Oregon's makes the loop three long.
    third = directory_services.organization_create(
        user=outsider, name="Salem Network", kind="coalition"
    )
    services.membership_request(user=member, coalition=cast.coalition, member=third)
    m = services.membership_accept(
        user=outsider,
        membership=selectors.memberships_awaiting(outsider).get(),
    )
    assert m.status == MembershipStatus.ACTIVE
    directory_services.organization_admin_add(user=outsider, organization=third, new_admin=member)
    with pytest.raises(ValidationError):
        services.membership_request(user=member, coalition=third, member=cast.alliance)


def test_it_checks_for_cycles_again_when_accepting(cast, member, outsider):
    third = directory_services.organization_create(
        user=outsider, name="Salem Network", kind="coalition"
    )
    # Both invitations are pending, so each alone is fine; accepting the second would loop.
    a = services.membership_request(user=member, coalition=cast.coalition, member=third)
    b = services.membership_request(user=outsider, coalition=third, member=cast.coalition)
    services.membership_accept(user=outsider, membership=a)
    with pytest.raises(ValidationError):
        services.membership_accept(user=member, membership=b)


def test_it_lets_a_group_belong_to_several_coalitions(cast, organizer, member):
    for coalition in (cast.coalition, cast.alliance):
        m = services.membership_request(user=organizer, coalition=coalition, member=cast.group)
        services.membership_accept(user=member, membership=m)
    assert list(selectors.organization_coalitions(cast.group)) == [cast.alliance, cast.coalition]
