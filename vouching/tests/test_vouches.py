"""A new group waits for two vouches before it acts in anyone's name."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, User
from actions import services as action_services
from actions.models import CallToAction
from assemblies import permissions as assembly_permissions
from assemblies.services import assemblies as assembly_services
from connections import selectors as connection_selectors
from connections import services as connection_services
from connections.models import Introduction
from directory import services as directory_services
from directory.models import Organization, PrivateContact, Standing
from outreach import services as outreach_services
from places.models import Place
from solidarity import permissions as solidarity_permissions
from solidarity.models import SupportRequest, Visibility
from vouching import services
from vouching.models import Vouch
from vouching.tests.conftest import Cast, member_of

pytestmark = pytest.mark.django_db


def _call(cast: Cast, member: User, places: dict[str, Place]) -> CallToAction:
    now = timezone.now()
    return action_services.call_create(
        user=member,
        coalition=cast.coalition,
        title="Day of action for tenants",
        description="Rally at city hall.",
        scope=places["us"],
        starts_at=now + timedelta(days=14),
        deadline=now + timedelta(days=7),
        min_organizations=3,
    )


def _vouch_twice(cast: Cast, member: User) -> None:
    """Two people, each for their own verified group (`third` is the outsider's)."""
    outsider = User.objects.get(email="outsider@example.org")
    for user, voucher in ((member, cast.first), (outsider, cast.third)):
        services.vouch_give(
            user=user, voucher=voucher, organization=cast.newcomer, reason="We march together."
        )


def test_it_lists_a_group_from_the_pages_as_waiting_for_vouches(cast: Cast) -> None:
    assert cast.newcomer.standing == Standing.UNVERIFIED
    assert cast.first.standing == Standing.VERIFIED  # listed by code, as imports and fixtures


def test_it_lists_a_group_through_the_page_form_unverified(client, organizer, places) -> None:
    client.force_login(organizer)
    response = client.post(
        reverse("directory:organization_add"),
        {"name": "Fresh Group", "kind": "local_group", "status": "active"},
    )
    assert response.status_code == 302
    assert Organization.objects.get(name="Fresh Group").standing == Standing.UNVERIFIED


def test_it_trusts_a_coordinator_listing_a_group_in_their_place(
    regional_coordinator, places
) -> None:
    org = directory_services.organization_create(
        user=regional_coordinator,
        name="Known Group",
        home_place=places["portland"],
        awaits_vouches=True,
    )
    assert org.standing == Standing.VERIFIED


def test_it_makes_a_newly_claimed_listing_wait_for_vouches(places, organizer) -> None:
    imported = directory_services.organization_create(
        user=None, name="Imported Group", home_place=places["portland"], public_email="a@b.org"
    )
    assert imported.standing == Standing.VERIFIED
    outreach_services._make_admin(imported, organizer)
    imported.refresh_from_db()
    assert imported.standing == Standing.UNVERIFIED


def test_it_refuses_a_commitment_from_a_group_nobody_vouched_for(
    cast: Cast, member, organizer, places
) -> None:
    call = _call(cast, member, places)
    with pytest.raises(ValidationError, match="cannot commit its name yet"):
        action_services.commitment_make(user=organizer, call=call, organization=cast.newcomer)


def test_it_verifies_a_group_after_two_verified_groups_vouch(
    cast: Cast, member, organizer, outsider, places
) -> None:
    services.vouch_give(
        user=member, voucher=cast.first, organization=cast.newcomer, reason="Known for years."
    )
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.UNVERIFIED
    # A second group the same person runs does not make a second voice.
    services.vouch_give(
        user=member, voucher=cast.second, organization=cast.newcomer, reason="Met them."
    )
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.UNVERIFIED
    services.vouch_give(
        user=outsider, voucher=cast.third, organization=cast.newcomer, reason="Met them."
    )
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.VERIFIED
    call = _call(cast, member, places)
    action_services.commitment_make(user=organizer, call=call, organization=cast.newcomer)
    assert AuditEvent.objects.filter(action="organization.verified").count() == 1
    assert AuditEvent.objects.filter(action="vouch.give").count() == 3


def test_it_verifies_a_group_a_coordinator_of_its_place_vouches_for(
    cast: Cast, regional_coordinator
) -> None:
    services.vouch_give_as_coordinator(
        user=regional_coordinator, organization=cast.newcomer, reason="Visited their meeting."
    )
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.VERIFIED


def test_it_asks_a_reason_of_every_vouch(cast: Cast, member) -> None:
    with pytest.raises(ValidationError):
        services.vouch_give(user=member, voucher=cast.first, organization=cast.newcomer, reason=" ")


def test_it_refuses_vouches_from_outsiders_and_unverified_groups(
    cast: Cast, outsider, organizer, member, places
) -> None:
    with pytest.raises(PermissionDenied):  # not an admin of the voucher
        services.vouch_give(
            user=outsider, voucher=cast.first, organization=cast.newcomer, reason="x"
        )
    other = directory_services.organization_create(
        user=organizer, name="Also New", home_place=places["portland"], awaits_vouches=True
    )
    with pytest.raises(PermissionDenied):  # an unverified group cannot vouch
        services.vouch_give(user=organizer, voucher=other, organization=cast.newcomer, reason="x")
    with pytest.raises(PermissionDenied):  # nor a group for itself
        services.vouch_give(user=member, voucher=cast.first, organization=cast.first, reason="x")
    with pytest.raises(PermissionDenied):  # nor a person for another group they run
        services.vouch_give(user=member, voucher=cast.first, organization=cast.second, reason="x")
    with pytest.raises(PermissionDenied):  # nor an outsider as a coordinator
        services.vouch_give_as_coordinator(user=outsider, organization=cast.newcomer, reason="x")


def test_it_counts_one_vouch_per_group(cast: Cast, member) -> None:
    services.vouch_give(user=member, voucher=cast.first, organization=cast.newcomer, reason="a")
    with pytest.raises(ValidationError):
        services.vouch_give(user=member, voucher=cast.first, organization=cast.newcomer, reason="b")
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.UNVERIFIED


def test_it_keeps_an_unverified_group_out_of_its_coalitions_assembly(
    cast: Cast, member, organizer
) -> None:
    member_of(cast.coalition, cast.newcomer, cast.first)
    assembly = assembly_services.assembly_open(user=member, organization=cast.coalition)
    assert assembly_permissions.groups_spoken_for(organizer, assembly) == []
    _vouch_twice(cast, member)
    assert assembly_permissions.groups_spoken_for(organizer, assembly) == [cast.newcomer]


def test_it_shares_no_contact_with_an_unverified_side_of_an_introduction(
    cast: Cast, member, organizer
) -> None:
    PrivateContact.objects.create(organization=cast.first, email="first@example.org")
    intro = connection_services.introduction_propose(
        user=member, first=cast.first, second=cast.newcomer, reason="Both on housing."
    )
    # The proposing side's admin has accepted by proposing.
    connection_services.introduction_answer(
        user=organizer, introduction=intro, organization=cast.newcomer, accept=True
    )
    intro = Introduction.objects.get(pk=intro.pk)
    sides = list(intro.sides.select_related("organization"))
    assert connection_selectors.contacts_shared_with(organizer, intro, sides) == []
    _vouch_twice(cast, member)
    sides = list(intro.sides.select_related("organization"))
    shared = connection_selectors.contacts_shared_with(organizer, intro, sides)
    assert [c.email for _, c in shared if c] == ["first@example.org"]


def test_it_hides_what_coalitions_share_with_members_from_unverified_groups(
    cast: Cast, member, organizer
) -> None:
    member_of(cast.coalition, cast.newcomer, cast.first)
    request = SupportRequest.objects.create(
        organization=cast.first, title="Need a van", visibility=Visibility.COALITIONS
    )
    assert not solidarity_permissions.can_see(organizer, request)
    _vouch_twice(cast, member)
    assert solidarity_permissions.can_see(organizer, request)


def test_it_suspends_a_group_and_flags_what_it_vouched_for(
    cast: Cast, member, regional_coordinator, outsider
) -> None:
    _vouch_twice(cast, member)
    with pytest.raises(PermissionDenied):
        services.organization_suspend(user=outsider, organization=cast.first, reason="fake")
    services.organization_suspend(
        user=regional_coordinator, organization=cast.first, reason="Its vouchers were fake."
    )
    cast.first.refresh_from_db()
    assert cast.first.standing == Standing.SUSPENDED
    flagged = Vouch.objects.get(voucher=cast.first)
    assert flagged.needs_review
    # The group it vouched for keeps its standing until a coordinator looks.
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.VERIFIED
    services.vouch_review(
        user=regional_coordinator, vouch=flagged, keep=False, reason="Same people."
    )
    cast.newcomer.refresh_from_db()
    assert cast.newcomer.standing == Standing.SUSPENDED
    assert AuditEvent.objects.filter(action="organization.suspend").count() == 2


def test_it_lifts_a_suspension_back_to_waiting(cast: Cast, regional_coordinator) -> None:
    services.organization_suspend(
        user=regional_coordinator, organization=cast.third, reason="Impostor."
    )
    services.suspension_lift(
        user=regional_coordinator, organization=cast.third, reason="It was a mistake."
    )
    cast.third.refresh_from_db()
    assert cast.third.standing == Standing.UNVERIFIED


def test_it_keeps_a_coalitions_member_only_conversation_from_unverified_groups(
    cast: Cast, member, organizer
) -> None:
    from commonground import permissions as commonground_permissions
    from commonground import services as commonground_services
    from commonground.models import Access

    member_of(cast.coalition, cast.newcomer)
    conversation = commonground_services.conversation_create(
        user=member,
        title="What should our next campaign be?",
        organization=cast.coalition,
        access=Access.MEMBERS,
        is_private=True,
    )
    assert not commonground_permissions.can_see(organizer, conversation)
    assert not commonground_permissions.can_take_part(organizer, conversation)
    _vouch_twice(cast, member)
    assert commonground_permissions.can_see(organizer, conversation)
    assert commonground_permissions.can_take_part(organizer, conversation)


def test_it_draws_the_vouch_tree_two_levels_deep_without_hidden_listings(
    cast: Cast, member, outsider, organizer, places
) -> None:
    from vouching import selectors

    _vouch_twice(cast, member)  # first → newcomer
    later = directory_services.organization_create(
        user=outsider, name="Later Group", home_place=places["portland"], awaits_vouches=True
    )
    services.vouch_give(user=organizer, voucher=cast.newcomer, organization=later, reason="x")
    roots, cut = selectors.vouch_tree(cast.first)
    assert [n.vouch.organization for n in roots] == [cast.newcomer]
    assert [n.vouch.organization for n in roots[0].children] == [later]
    assert not cut
    Organization.objects.filter(pk=later.pk).update(is_hidden=True)
    roots, _ = selectors.vouch_tree(cast.first)
    assert roots[0].children == []
    roots, _ = selectors.vouch_tree(cast.first, show_hidden=True)
    assert len(roots[0].children) == 1
