import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from directory import selectors, services
from directory.models import IssueArea, Organization, OrganizationAdmin, PrivateContact


def test_it_makes_the_creator_the_first_admin(tenants, organizer):
    assert OrganizationAdmin.objects.filter(organization=tenants, user=organizer).exists()
    assert tenants.place_lft == tenants.home_place.lft
    assert tenants.latitude == tenants.home_place.latitude


def test_it_keeps_the_issue_mask_in_step(tenants, organizer):
    housing = IssueArea.objects.get(slug="housing")
    food = IssueArea.objects.get(slug="food")
    tenants.refresh_from_db()
    assert tenants.issue_mask & (1 << housing.bit)
    services.organization_set_issue_areas(user=organizer, organization=tenants, issue_areas=[food])
    tenants.refresh_from_db()
    assert tenants.issue_mask == 1 << food.bit
    assert list(tenants.issue_areas.all()) == [food]


def test_it_lets_an_admin_update_the_listing(tenants, organizer, places):
    before = selectors.directory_version()
    services.organization_update(
        user=organizer,
        organization=tenants,
        name="Portland Renters Union",
        home_place=places["seattle"],
    )
    tenants.refresh_from_db()
    assert tenants.name == "Portland Renters Union"
    assert tenants.place_lft == places["seattle"].lft
    assert tenants.latitude == places["seattle"].latitude
    assert selectors.directory_version() > before
    event = AuditEvent.objects.filter(action="organization.update").get()
    assert event.actor == organizer
    assert set(event.data["fields"]) >= {"name", "home_place"}


def test_it_refuses_updates_from_anyone_else(
    tenants, outsider, site_coordinator, regional_coordinator
):
    for user in (outsider, site_coordinator, regional_coordinator):
        with pytest.raises(PermissionDenied):
            services.organization_update(user=user, organization=tenants, name="Taken over")
    tenants.refresh_from_db()
    assert tenants.name == "Portland Tenants Union"


def test_it_refuses_fields_that_are_not_listing_fields(tenants, organizer):
    with pytest.raises(ValidationError) as info:
        services.organization_update(user=organizer, organization=tenants, is_hidden=True)
    assert "is_hidden" in info.value.message_dict


def test_it_names_the_bad_field(tenants, organizer):
    with pytest.raises(ValidationError) as info:
        services.organization_update(user=organizer, organization=tenants, kind="cult")
    assert "kind" in info.value.message_dict


def test_it_refuses_a_region_as_home_place(organizer, places):
    with pytest.raises(ValidationError) as info:
        services.organization_create(
            user=organizer, name="Somewhere", home_place=places["cascadia"]
        )
    assert "home_place" in info.value.message_dict


def test_it_lets_only_site_coordinators_moderate(tenants, organizer, site_coordinator):
    with pytest.raises(PermissionDenied):
        services.organization_moderate(user=organizer, organization=tenants, is_hidden=True)
    services.organization_moderate(
        user=site_coordinator, organization=tenants, is_hidden=True, reason="spam"
    )
    assert not selectors.organization_search(user=None).filter(pk=tenants.pk).exists()
    assert selectors.organization_search(user=site_coordinator).filter(pk=tenants.pk).exists()


def test_it_keeps_private_contact_to_admins(tenants, organizer, outsider, regional_coordinator):
    with pytest.raises(PermissionDenied):
        services.private_contact_update(user=outsider, organization=tenants, email="x@example.org")
    services.private_contact_update(user=organizer, organization=tenants, email="chair@example.org")
    assert selectors.organization_private_contact_for_user(outsider, tenants) is None
    seen = selectors.organization_private_contact_for_user(regional_coordinator, tenants)
    assert seen is not None and seen.email == "chair@example.org"
    # The audit log records that it changed, never what it says.
    assert "chair@example.org" not in str(AuditEvent.objects.values_list("data", flat=True))
    assert PrivateContact.objects.count() == 1


def test_it_lets_admins_add_admins(tenants, organizer, member, outsider, site_coordinator):
    with pytest.raises(PermissionDenied):
        services.organization_admin_add(user=outsider, organization=tenants, new_admin=outsider)
    services.organization_admin_add(user=organizer, organization=tenants, new_admin=member)
    services.organization_admin_add(user=site_coordinator, organization=tenants, new_admin=outsider)
    assert tenants.admins.count() == 3


def test_it_does_not_let_the_last_admin_leave(tenants, organizer):
    with pytest.raises(ValidationError):
        services.organization_admin_remove(user=organizer, organization=tenants, admin=organizer)


def test_it_refreshes_place_copies_after_a_renumber(tenants, places):
    from places.models import Place
    from places.services import place_tree_renumber

    Place.objects.create(
        kind="state", name="Alabama", search_name="alabama", slug="us-al", parent=places["us"]
    )
    place_tree_renumber()
    services.organization_places_refresh()
    tenants.refresh_from_db()
    assert tenants.place_lft == Place.objects.get(pk=places["portland"].pk).lft


def test_it_gets_an_organization_by_slug_or_id(tenants, outsider, organizer):
    from django.http import Http404

    assert selectors.get_organization_for_user(outsider, tenants.slug) == tenants
    assert selectors.get_organization_for_user(outsider, str(tenants.pk)) == tenants
    with pytest.raises(PermissionDenied):
        selectors.get_organization_for_user(outsider, tenants.slug, write=True)
    assert selectors.get_organization_for_user(organizer, tenants.slug, write=True) == tenants
    with pytest.raises(Http404):
        selectors.get_organization_for_user(outsider, "9" * 40)
    Organization.objects.filter(pk=tenants.pk).update(is_hidden=True)
    with pytest.raises(Http404):
        selectors.get_organization_for_user(outsider, tenants.slug)
    assert selectors.get_organization_for_user(organizer, tenants.slug) == tenants


def test_it_counts_the_directory(tenants, riders, places):
    assert selectors.directory_counts()["organizations"] == 2
    assert selectors.directory_counts(places["cascadia"]) == {
        "organizations": 1,
        "coalitions": 0,
        "active": 1,
        "places": 1,
        "serving": 0,
    }
