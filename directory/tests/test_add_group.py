"""Anyone signed in adds a group, from a page or the API, and becomes its admin; text has limits."""

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from directory import services
from directory.models import DESCRIPTION_MAX_LENGTH, Organization, OrganizationAdmin
from places.models import Place

pytestmark = pytest.mark.django_db

# The size of description that was accepted before there was a limit.
HUGE = "x" * 240_000


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Eastside Tenants Union",
        "kind": "local_group",
        "status": "active",
        "description": "Renters on the east side, organizing building by building.",
        "home_place": "portland",
        "issue_areas": ["housing"],
        **extra,
    }


class TestAddGroupPage:
    def test_it_lists_a_group_and_makes_its_author_the_admin(
        self, outsider: Any, places: dict[str, Place]
    ) -> None:
        client = signed_in(outsider)
        assert client.get(reverse("directory:organization_add")).status_code == 200
        response = client.post(
            reverse("directory:organization_add"),
            form_data(contact_email="private@example.org"),
        )
        org = Organization.objects.get(name="Eastside Tenants Union")
        assert response.status_code == 302
        assert response["Location"] == reverse("organization", args=[org.slug])
        assert OrganizationAdmin.objects.filter(organization=org, user=outsider).exists()
        assert org.home_place == places["portland"]
        assert org.private_contact.email == "private@example.org"
        assert AuditEvent.objects.filter(action="organization.create", actor=outsider).exists()
        # The new admin can edit it straight away.
        edit = client.get(reverse("outreach:listing_edit", args=[org.slug]))
        assert edit.status_code == 200

    def test_it_is_offered_from_the_directory(self, client: Client, places: dict) -> None:
        body = client.get(reverse("directory:search")).content.decode()
        assert reverse("directory:organization_add") in body

    def test_it_sends_visitors_to_sign_in_first(self, client: Client) -> None:
        response = client.get(reverse("directory:organization_add"))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]

    def test_it_refuses_other_methods(self, outsider: Any) -> None:
        assert signed_in(outsider).put(reverse("directory:organization_add")).status_code == 405

    def test_it_refuses_a_description_past_the_limit(self, outsider: Any, places: dict) -> None:
        response = signed_in(outsider).post(
            reverse("directory:organization_add"), form_data(description=HUGE)
        )
        assert response.status_code == 400
        assert "description" in response.context["form"].errors
        assert not Organization.objects.filter(name="Eastside Tenants Union").exists()
        # The browser stops typing at the limit too.
        assert f'maxlength="{DESCRIPTION_MAX_LENGTH}"' in response.content.decode()


class TestEditorLimits:
    def test_the_listing_editor_refuses_a_huge_description(
        self, organizer: Any, places: dict
    ) -> None:
        org = services.organization_create(user=organizer, name="Portland Tenants Union")
        response = signed_in(organizer).post(
            reverse("outreach:listing_edit", args=[org.slug]),
            form_data(name=org.name, description=HUGE),
        )
        assert response.status_code == 400
        org.refresh_from_db()
        assert org.description == ""


class TestServiceLimits:
    def test_creating_or_updating_refuses_a_huge_description(self, organizer: Any) -> None:
        with pytest.raises(ValidationError) as error:
            services.organization_create(user=organizer, name="Big", description=HUGE)
        assert "description" in error.value.message_dict
        org = services.organization_create(user=organizer, name="Small")
        with pytest.raises(ValidationError):
            services.organization_update(user=organizer, organization=org, description=HUGE)
        with pytest.raises(ValidationError):
            services.private_contact_update(user=organizer, organization=org, notes=HUGE)


def post_json(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(payload), content_type="application/json")


class TestAddGroupApi:
    def test_it_lists_a_group_and_makes_its_author_the_admin(
        self, outsider: Any, places: dict
    ) -> None:
        response = post_json(
            signed_in(outsider),
            "/api/organizations",
            {
                "name": "Eastside Tenants Union",
                "home_place": places["portland"].slug,
                "issue_areas": ["housing"],
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["name"] == "Eastside Tenants Union"
        assert body["home_place"]["slug"] == places["portland"].slug
        assert body["issue_areas"] == ["housing"]
        org = Organization.objects.get(pk=body["id"])
        assert OrganizationAdmin.objects.filter(organization=org, user=outsider).exists()

    def test_it_needs_a_session(self, client: Client, places: dict) -> None:
        assert post_json(client, "/api/organizations", {"name": "X"}).status_code == 401

    def test_it_needs_the_csrf_token(self, outsider: Any) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(outsider)
        assert post_json(client, "/api/organizations", {"name": "X"}).status_code == 403
        assert not Organization.objects.exists()

    def test_it_refuses_a_description_past_the_limit(self, outsider: Any) -> None:
        response = post_json(
            signed_in(outsider), "/api/organizations", {"name": "Big", "description": HUGE}
        )
        assert response.status_code == 422
        assert "description" in json.dumps(response.json())
        assert not Organization.objects.exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"home_place": "atlantis"}, "home_place"),
            ({"website": "javascript:alert(1)"}, "website"),
            ({"social_links": {"facebook": "javascript:alert(1)"}}, "social_links"),
            ({"issue_areas": ["no-such-area"]}, "issue_areas"),
            ({"public_email": "not an address"}, "public_email"),
            ({"description": "nul\x00byte"}, "description"),
            ({"social_links": {"site\x00": "https://example.org"}}, "social_links"),
        ],
    )
    def test_it_names_the_field_of_a_bad_value(
        self, outsider: Any, places: dict, payload: dict, field: str
    ) -> None:
        response = post_json(
            signed_in(outsider), "/api/organizations", {"name": "Eastside", **payload}
        )
        assert response.status_code == 400, response.content
        assert field in json.dumps(response.json()["detail"])
        assert not Organization.objects.exists()


class TestOtherLongTexts:
    """The other free-text boxes a person fills in have limits too (the browser stops typing
    at them, and the form refuses more)."""

    @pytest.mark.parametrize(
        ("form_path", "field"),
        [
            ("actions.forms.CallForm", "description"),
            ("actions.forms.CommitForm", "accessibility"),
            ("outreach.forms.EntryForm", "notes"),
            ("commonground.forms.ConversationForm", "description"),
            ("commonground.forms.ConversationForm", "seed_statements"),
        ],
    )
    def test_it_has_a_limit(self, form_path: str, field: str) -> None:
        module, name = form_path.rsplit(".", 1)
        form_class = getattr(__import__(module, fromlist=[name]), name)
        limit = form_class.base_fields[field].max_length
        assert limit is not None and limit <= 50_000
