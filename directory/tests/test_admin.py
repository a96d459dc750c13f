import pytest

from accounts.models import AuditEvent, User
from coalitions import services as coalition_services
from directory import selectors, services
from directory.models import IssueArea


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("staff@example.org", "a-long-passphrase")


def test_it_shows_every_admin_page(client, staff, tenants, organizer, member, places):
    coalition = services.organization_create(
        user=member, name="Oregon Housing Coalition", kind="coalition", home_place=places["oregon"]
    )
    membership = coalition_services.membership_request(
        user=organizer, coalition=coalition, member=tenants
    )
    housing = IssueArea.objects.get(slug="housing")
    client.force_login(staff)
    for url in [
        "/admin/directory/organization/",
        f"/admin/directory/organization/{tenants.pk}/change/",
        "/admin/directory/issuearea/",
        f"/admin/directory/issuearea/{housing.pk}/change/",
        "/admin/directory/issuelink/",
        "/admin/coalitions/membership/",
        f"/admin/coalitions/membership/{membership.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{organizer.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/accounts/auditevent/",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/directory/organization/add/").status_code == 403


def test_it_hides_listings_through_the_moderation_service(client, staff, tenants):
    client.force_login(staff)
    response = client.post(
        "/admin/directory/organization/",
        {"action": "hide", "_selected_action": [tenants.pk]},
    )
    assert response.status_code == 302
    assert not selectors.organization_search(user=None).filter(pk=tenants.pk).exists()
    assert AuditEvent.objects.filter(action="organization.moderate", actor=staff).exists()


def test_it_creates_issue_areas_with_a_free_bit(client, staff):
    client.force_login(staff)
    response = client.post(
        "/admin/directory/issuearea/add/", {"name": "Sports", "slug": "sports", "description": ""}
    )
    assert response.status_code == 302, response.content[:2000]
    area = IssueArea.objects.get(slug="sports")
    assert area.bit not in set(IssueArea.objects.exclude(pk=area.pk).values_list("bit", flat=True))
