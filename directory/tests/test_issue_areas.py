import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from directory import selectors, services
from directory.models import IssueArea, IssueLink, Organization


def test_it_ships_a_taxonomy_with_crosshatches(db):
    slugs = set(IssueArea.objects.values_list("slug", flat=True))
    assert {"housing", "labor", "climate", "transportation", "mutual-aid", "lgbtq-rights"} <= slugs
    housing = IssueArea.objects.get(slug="housing")
    assert "transportation" in {a.slug for a in selectors.issue_area_related(housing)}
    bits = list(IssueArea.objects.values_list("bit", flat=True))
    assert len(bits) == len(set(bits)) and max(bits) < 63


def test_it_lets_only_site_coordinators_edit_the_taxonomy(db, organizer, site_coordinator):
    with pytest.raises(PermissionDenied):
        services.issue_area_create(user=organizer, name="Water rights")
    area = services.issue_area_create(user=site_coordinator, name="Sports")
    assert area.slug == "sports"
    services.issue_area_update(
        user=site_coordinator, issue_area=area, description="Community sport"
    )
    with pytest.raises(ValidationError):
        services.issue_area_create(user=site_coordinator, name="Sports")


def test_it_links_each_pair_once_whatever_the_order(db, site_coordinator):
    food = IssueArea.objects.get(slug="food")
    peace = IssueArea.objects.get(slug="peace")
    services.issue_link_create(user=site_coordinator, a=peace, b=food)
    services.issue_link_create(user=site_coordinator, a=food, b=peace)
    assert IssueLink.objects.filter(from_issue=food, to_issue=peace).count() == 1
    with pytest.raises(ValidationError):
        services.issue_link_create(user=site_coordinator, a=food, b=food)
    assert services.issue_link_delete(user=site_coordinator, a=peace, b=food)


def test_it_clears_a_deleted_area_from_every_mask(tenants, site_coordinator):
    housing = IssueArea.objects.get(slug="housing")
    services.issue_area_delete(user=site_coordinator, issue_area=housing)
    tenants.refresh_from_db()
    assert not tenants.issue_mask & (1 << housing.bit)
    assert Organization.objects.get(pk=tenants.pk).issue_areas.count() == 1
