from django.contrib.auth.models import AnonymousUser

from directory import permissions


def test_it_lets_only_admins_edit(
    tenants, organizer, outsider, site_coordinator, regional_coordinator
):
    assert permissions.can_edit_organization(organizer, tenants)
    assert not permissions.can_edit_organization(outsider, tenants)
    assert not permissions.can_edit_organization(site_coordinator, tenants)
    assert not permissions.can_edit_organization(regional_coordinator, tenants)
    assert not permissions.can_edit_organization(AnonymousUser(), tenants)


def test_it_shows_private_contact_to_admins_and_coordinators_of_the_place(
    tenants, riders, organizer, outsider, site_coordinator, regional_coordinator
):
    # The regional coordinator coordinates Oregon: Portland is inside, Oakland is not.
    assert permissions.can_see_private_contact(organizer, tenants)
    assert permissions.can_see_private_contact(site_coordinator, tenants)
    assert permissions.can_see_private_contact(regional_coordinator, tenants)
    assert not permissions.can_see_private_contact(regional_coordinator, riders)
    assert not permissions.can_see_private_contact(outsider, tenants)
    assert not permissions.can_see_private_contact(AnonymousUser(), tenants)


def test_it_knows_which_places_a_regional_coordinator_covers(
    places, regional_coordinator, outsider
):
    assert permissions.is_regional_coordinator_for(regional_coordinator, places["oregon"])
    assert permissions.is_regional_coordinator_for(regional_coordinator, places["portland"])
    assert not permissions.is_regional_coordinator_for(regional_coordinator, places["washington"])
    assert not permissions.is_regional_coordinator_for(regional_coordinator, places["us"])
    # Cascadia reaches beyond Oregon, so an Oregon coordinator does not cover it.
    assert not permissions.is_regional_coordinator_for(regional_coordinator, places["cascadia"])
    assert not permissions.is_regional_coordinator_for(outsider, places["portland"])


def test_it_lets_a_region_coordinator_cover_every_member_place(places, outsider):
    from accounts.models import RegionalCoordinator

    RegionalCoordinator.objects.create(user=outsider, place=places["cascadia"])
    assert permissions.is_regional_coordinator_for(outsider, places["seattle"])
    assert permissions.is_regional_coordinator_for(outsider, places["eureka"])
    assert permissions.is_regional_coordinator_for(outsider, places["cascadia"])
    assert not permissions.is_regional_coordinator_for(outsider, places["oakland"])
