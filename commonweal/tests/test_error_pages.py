"""What a newcomer meets when something is refused, missing or broken: pages in the site's style
that say why, a favicon, and the API's documentation served from the hub itself."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from commonweal import errors
from directory import services
from directory.models import Organization
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(places: dict[str, Place], organizer: Any) -> Organization:
    return services.organization_create(
        user=organizer, name="Portland Tenants Union", home_place=places["portland"]
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestForbidden:
    def test_it_says_why_an_outsider_may_not_edit_a_listing(
        self, outsider: Any, listing: Organization
    ) -> None:
        response = signed_in(outsider).get(reverse("outreach:listing_edit", args=[listing.slug]))
        assert response.status_code == 403
        body = response.content.decode()
        assert "Only this organization&#x27;s admins can change its listing." in body
        assert "You may not do this" in body
        # In the site's frame: its stylesheet and menu, not Django's bare "403 Forbidden".
        assert "css/commonweal.css" in body and 'aria-label="Main"' in body
        assert "403 Forbidden" not in body

    def test_it_gives_a_general_reason_when_the_code_gave_none(self, outsider: Any) -> None:
        response = signed_in(outsider).get(reverse("resolution:queue"))
        assert response.status_code == 403
        assert "does not have the role this page needs" in response.content.decode()

    def test_it_explains_an_expired_form_instead_of_a_bare_403(self, outsider: Any) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(outsider)
        response = client.post(reverse("accounts:logout"))
        assert response.status_code == 403
        body = response.content.decode()
        assert "The form has expired" in body and "reload the page" in body
        assert "CSRF verification failed" not in body


class TestNotFound:
    def test_it_answers_an_unknown_address_with_a_styled_page_and_a_search(
        self, client: Client
    ) -> None:
        response = client.get("/nothing-lives-here/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "There is nothing here" in body and "css/commonweal.css" in body
        assert 'action="/directory/"' in body

    def test_it_says_what_was_not_found(self, client: Client, places: dict) -> None:
        response = client.get(reverse("organization", args=["no-such-group"]))
        assert response.status_code == 404
        assert "No such organization." in response.content.decode()


class TestWrongMethod:
    def test_a_form_target_opened_in_a_browser_says_what_it_is(self, outsider: Any) -> None:
        response = signed_in(outsider).get(reverse("accounts:logout"), HTTP_ACCEPT="text/html")
        assert response.status_code == 405
        assert "This address is not a page" in response.content.decode()
        assert "POST" in response["Allow"]

    def test_api_clients_keep_the_bare_answer(self, client: Client) -> None:
        response = client.get(reverse("accounts:logout"), HTTP_ACCEPT="application/json")
        assert response.status_code == 405
        assert response.content == b""


class TestBadRequest:
    def test_it_answers_in_the_sites_style(self, client: Client) -> None:
        # An address this hub does not serve is refused as a bad request.
        response = client.get("/", HTTP_HOST="elsewhere.example")
        assert response.status_code == 400
        assert "The hub could not read this request" in response.content.decode()


class TestServerError:
    def test_it_shows_a_styled_page_without_touching_the_database(
        self, rf: Any, django_assert_num_queries: Any
    ) -> None:
        request = rf.get("/")
        with django_assert_num_queries(0):
            response = errors.server_error(request)
        assert response.status_code == 500
        body = response.content.decode()
        assert "Something went wrong on our side" in body and "css/commonweal.css" in body


class TestFavicon:
    def test_pages_name_a_favicon_and_the_old_address_finds_it(self, client: Client) -> None:
        body = client.get(reverse("home")).content.decode()
        assert 'rel="icon"' in body and "img/favicon.svg" in body
        response = client.get("/favicon.ico")
        assert response.status_code == 301
        assert response["Location"].endswith("img/favicon.ico")


class TestApiDocs:
    def test_the_api_address_serves_interactive_docs_from_our_own_files(
        self, client: Client
    ) -> None:
        response = client.get("/api/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "swagger-ui" in body
        assert "/static/ninja/swagger-ui-bundle.js" in body
        # Nothing fetched from elsewhere.
        assert "cdn." not in body and "https://" not in body.split("swagger-settings")[0]

    def test_the_docs_can_try_the_session_writes(self, outsider: Any) -> None:
        body = signed_in(outsider).get("/api/").content.decode()
        assert 'data-api-csrf="true"' in body
        assert 'data-csrf-token=""' not in body
