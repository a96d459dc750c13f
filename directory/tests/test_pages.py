"""The directory's pages: search, an organization, and its editor."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import RegionalCoordinator
from commonweal.tests import listings as shared
from commonweal.tests.listings import PRIVATE_EMAIL
from directory.models import Organization, OrganizationAdmin, PrivateContact
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_map_index() -> Iterator[None]:
    yield from shared.fresh_map_index()


@pytest.fixture
def listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    return shared.make_listings(places, organizer)


def names(response: Any) -> list[str]:
    return [org.name for org in response.context["page"].items]


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestSearch:
    def test_it_lists_every_public_active_group_by_name_when_nothing_is_asked(
        self, client: Client, listings: dict
    ) -> None:
        response = client.get(reverse("directory:search"))
        assert response.status_code == 200
        assert names(response) == sorted(names(response))
        assert "Quiet Portland Circle" not in names(response)
        # The inactive Eureka group is kept out of the way until "Any status" is chosen.
        assert response.context["page"].total == 5
        assert client.get(reverse("directory:search"), {"status": ""}).context["page"].total == 6

    def test_it_finds_words_in_names_and_descriptions(self, client: Client, listings: dict) -> None:
        assert names(client.get(reverse("directory:search"), {"q": "tenants"})) == [
            "Portland Tenants Union"
        ]
        assert names(client.get(reverse("directory:search"), {"q": "meals park"})) == [
            "Oakland Food Not Bombs"
        ]

    def test_it_filters_by_a_region_and_everything_below_it(
        self, client: Client, listings: dict
    ) -> None:
        response = client.get(reverse("directory:search"), {"place": "cascadia", "status": ""})
        assert names(response) == [
            "Eureka Climate Action",
            "Oregon Housing Coalition",
            "Portland Tenants Union",
            "Seattle Transit Riders",
        ]
        assert response.context["page"].total == 4

    def test_it_accepts_a_place_name_instead_of_a_slug(
        self, client: Client, listings: dict
    ) -> None:
        response = client.get(reverse("directory:search"), {"place": "Oregon"})
        assert names(response) == ["Oregon Housing Coalition", "Portland Tenants Union"]

    def test_it_filters_by_issue_kind_and_status(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        url = reverse("directory:search")
        assert names(client.get(url, {"issue": "housing"})) == [
            "Oregon Housing Coalition",
            "Portland Tenants Union",
            "Seattle Transit Riders",
        ]
        assert names(client.get(url, {"kind": "network"})) == ["Seattle Transit Riders"]
        assert names(client.get(url, {"status": "inactive"})) == ["Eureka Climate Action"]
        assert names(client.get(url, {"issue": "housing", "place": places["washington"].slug})) == [
            "Seattle Transit Riders"
        ]

    def test_it_finds_groups_near_a_place(
        self, client: Client, listings: dict, places: dict
    ) -> None:
        response = client.get(
            reverse("directory:search"), {"near": places["oakland"].slug, "radius": "30"}
        )
        assert names(response) == ["Oakland Food Not Bombs"]
        assert "km away" in response.content.decode()

    def test_it_pages_through_results_without_counting_twice(
        self, client: Client, listings: dict
    ) -> None:
        url = reverse("directory:search")
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("directory.views.PER_PAGE", 4)
            first = client.get(url, {"status": ""})
            second = client.get(url, {"status": "", "page": "2"})
        assert len(names(first)) == 4 and first.context["page"].has_next
        assert len(names(second)) == 2 and not second.context["page"].has_next
        assert set(names(first)).isdisjoint(names(second))
        assert "page=2" in first.content.decode()
        assert 'hx-target="#results"' in first.content.decode()

    def test_it_answers_htmx_with_the_results_fragment_only(
        self, client: Client, listings: dict
    ) -> None:
        response = client.get(
            reverse("directory:search"), {"q": "tenants"}, headers={"HX-Request": "true"}
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Portland Tenants Union" in body
        assert "<html" not in body and 'id="search-form"' not in body
        assert "HX-Request" in response["Vary"]

    def test_it_works_as_a_plain_form_without_javascript(
        self, client: Client, listings: dict
    ) -> None:
        body = client.get(reverse("directory:search")).content.decode()
        assert 'method="get"' in body and 'action="/directory/"' in body
        assert '<label for="id_q">' in body

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"kind": "army"}, "kind"),
            ({"status": "asleep"}, "status"),
            ({"issue": "nope"}, "issue"),
            ({"place": "atlantis-nowhere"}, "place"),
            ({"near": "oakland", "radius": "-3"}, "radius"),
            ({"near": "oakland", "radius": "lots"}, "radius"),
            ({"page": "0"}, "page"),
        ],
    )
    def test_it_refuses_bad_filters_naming_the_field(
        self, client: Client, listings: dict, params: dict, field: str
    ) -> None:
        response = client.get(reverse("directory:search"), params)
        assert response.status_code == 400
        assert field in response.context["form"].errors

    def test_it_refuses_other_methods(self, client: Client) -> None:
        assert client.post(reverse("directory:search")).status_code == 405


class TestOrganizationPage:
    def test_it_shows_the_public_listing_with_its_place_and_coalitions(
        self, client: Client, listings: dict
    ) -> None:
        response = client.get(reverse("organization", args=[listings["tenants"].slug]))
        body = response.content.decode()
        assert response.status_code == 200
        assert "Portland Tenants Union" in body and "Renters organizing" in body
        assert "Housing" in body
        # Breadcrumb: the tree from the world down to the home place.
        for place in ("World", "United States", "Oregon", "Multnomah County", "Portland"):
            assert place in body
        assert "Oregon Housing Coalition" in body
        assert 'class="map map-small js-map"' in body

    def test_it_lists_a_coalitions_members(self, client: Client, listings: dict) -> None:
        response = client.get(reverse("organization", args=[listings["coalition"].slug]))
        assert [o.name for o in response.context["members"].items] == [
            "Portland Tenants Union",
            "Seattle Transit Riders",
        ]

    def test_it_hides_the_private_contact_from_the_public_and_outsiders(
        self, client: Client, listings: dict, outsider: Any, member: Any
    ) -> None:
        url = reverse("organization", args=[listings["tenants"].slug])
        for viewer in (client, signed_in(outsider), signed_in(member)):
            body = viewer.get(url).content.decode()
            assert PRIVATE_EMAIL not in body
            assert 'id="private-title"' not in body

    def test_it_shows_the_private_contact_to_admins_and_regional_coordinators(
        self, listings: dict, organizer: Any, regional_coordinator: Any
    ) -> None:
        url = reverse("organization", args=[listings["tenants"].slug])
        assert PRIVATE_EMAIL in signed_in(organizer).get(url).content.decode()
        assert PRIVATE_EMAIL in signed_in(regional_coordinator).get(url).content.decode()

    def test_it_offers_the_edit_link_only_to_admins(
        self, client: Client, listings: dict, organizer: Any, outsider: Any
    ) -> None:
        url = reverse("organization", args=[listings["tenants"].slug])
        # The listing's own edit page records the group's edits as its word over imports.
        edit = reverse("outreach:listing_edit", args=[listings["tenants"].slug])
        assert edit in signed_in(organizer).get(url).content.decode()
        assert edit not in signed_in(outsider).get(url).content.decode()
        assert edit not in client.get(url).content.decode()

    def test_it_does_not_show_hidden_listings_to_the_public(
        self, client: Client, listings: dict
    ) -> None:
        assert (
            client.get(reverse("organization", args=[listings["hidden"].slug])).status_code == 404
        )
        assert client.get(reverse("organization", args=["no-such-group"])).status_code == 404

    def test_it_never_links_to_unsafe_addresses_from_imported_data(
        self, client: Client, listings: dict
    ) -> None:
        Organization.objects.filter(pk=listings["food"].pk).update(
            social_links={"evil": "javascript:alert(1)", "mastodon": "https://social.example/@food"}
        )
        body = client.get(reverse("organization", args=[listings["food"].slug])).content.decode()
        assert "javascript:alert" not in body
        assert "https://social.example/@food" in body

    def test_it_refuses_other_methods(self, client: Client, listings: dict) -> None:
        assert (
            client.post(reverse("organization", args=[listings["tenants"].slug])).status_code == 405
        )


class TestOrganizationEdit:
    def form_data(self, org: Organization, **changes: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": org.name,
            "kind": org.kind,
            "status": org.status,
            "description": org.description,
            "home_place": org.home_place.slug if org.home_place else "",
            "issue_areas": [a.slug for a in org.issue_areas.all()],
            "website": "",
            "social_links": "",
            "public_email": "",
            "public_phone": "",
            "languages": "",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
            "contact_notes": "",
        }
        data.update(changes)
        return data

    def editor(self, org: Organization) -> str:
        return reverse("outreach:listing_edit", args=[org.slug])

    def test_it_sends_the_old_address_to_the_listing_editor(
        self, client: Client, listings: dict, organizer: Any
    ) -> None:
        org = listings["tenants"]
        old = reverse("directory:organization_edit", args=[org.slug])
        for visitor in (client, signed_in(organizer)):
            response = visitor.get(old)
            assert response.status_code == 308 and response["Location"] == self.editor(org)
        response = signed_in(organizer).get(old, follow=True)
        assert response.status_code == 200
        assert PRIVATE_EMAIL in response.content.decode()

    def test_it_keeps_an_edit_posted_to_the_old_address_as_the_groups_word(
        self, listings: dict, organizer: Any, places: dict
    ) -> None:
        from sources.models import FieldProvenance

        org = listings["tenants"]
        data = self.form_data(
            org,
            name="Portland Tenants United",
            home_place="seattle",
            contact_email="new-secret@example.org",
        )
        response = signed_in(organizer).post(
            reverse("directory:organization_edit", args=[org.slug]), data, follow=True
        )
        assert response.redirect_chain[0] == (self.editor(org), 308)
        assert response.status_code == 200
        org.refresh_from_db()
        assert org.name == "Portland Tenants United"
        assert org.home_place == places["seattle"] and org.place_lft == places["seattle"].lft
        assert PrivateContact.objects.get(organization=org).email == "new-secret@example.org"
        assert FieldProvenance.objects.filter(organization=org, field="name", origin="claim")

    def test_it_explains_bad_input_with_a_400(self, listings: dict, organizer: Any) -> None:
        org = listings["tenants"]
        data = self.form_data(org, name="", home_place="cascadia", public_email="not-an-email")
        response = signed_in(organizer).post(
            reverse("directory:organization_edit", args=[org.slug]), data, follow=True
        )
        assert response.status_code == 400
        assert {"name", "home_place", "public_email"} <= set(response.context["form"].errors)

    def test_it_refuses_outsiders_and_coordinators_with_403(
        self, listings: dict, outsider: Any, regional_coordinator: Any
    ) -> None:
        org = listings["tenants"]
        url = reverse("directory:organization_edit", args=[org.slug])
        for person in (outsider, regional_coordinator):
            assert signed_in(person).get(url, follow=True).status_code == 403
            response = signed_in(person).post(
                url, self.form_data(org, name="Taken over"), follow=True
            )
            assert response.status_code == 403
        org.refresh_from_db()
        assert org.name == "Portland Tenants Union"

    def test_it_sends_anonymous_visitors_to_sign_in(self, client: Client, listings: dict) -> None:
        response = client.get(
            reverse("directory:organization_edit", args=[listings["tenants"].slug]), follow=True
        )
        last, _status = response.redirect_chain[-1]
        assert last.startswith(reverse("accounts:login"))

    def test_it_refuses_other_methods(self, listings: dict, organizer: Any) -> None:
        url = reverse("directory:organization_edit", args=[listings["tenants"].slug])
        assert signed_in(organizer).put(url).status_code == 405
        assert signed_in(organizer).delete(url).status_code == 405


class TestPrivacy:
    def test_the_private_email_never_appears_on_public_pages(
        self, client: Client, listings: dict, outsider: Any, places: dict
    ) -> None:
        org = listings["tenants"]
        urls = [
            reverse("home"),
            reverse("directory:search"),
            reverse("directory:search") + "?q=tenants",
            reverse("organization", args=[org.slug]),
            reverse("place", args=[places["portland"].slug]),
            reverse("place", args=[places["cascadia"].slug]),
            reverse("coalitions:index"),
            reverse("directory:map"),
            reverse("directory:clusters") + "?bbox=-125,40,-120,50&zoom=9",
        ]
        for viewer in (client, signed_in(outsider)):
            for url in urls:
                response = viewer.get(url)
                assert response.status_code == 200, url
                assert PRIVATE_EMAIL not in response.content.decode(), url

    def test_an_admin_of_another_group_does_not_see_it(self, listings: dict, outsider: Any) -> None:
        OrganizationAdmin.objects.create(organization=listings["food"], user=outsider)
        body = (
            signed_in(outsider)
            .get(reverse("organization", args=[listings["tenants"].slug]))
            .content.decode()
        )
        assert PRIVATE_EMAIL not in body

    def test_a_coordinator_elsewhere_does_not_see_it(
        self, listings: dict, outsider: Any, places: dict
    ) -> None:
        RegionalCoordinator.objects.create(user=outsider, place=places["california"])
        body = (
            signed_in(outsider)
            .get(reverse("organization", args=[listings["tenants"].slug]))
            .content.decode()
        )
        assert PRIVATE_EMAIL not in body
