"""Place fields in the directory's forms: they read what people type ("Seattle, WA"), show
places by name, ask when a text may mean several places, and ask again before a listing moves
to another country or out of its coordinator's region."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, RegionalCoordinator
from commonweal.tests import listings as shared
from directory.models import Organization
from places.geocoder import reset_geocoder
from places.models import Place, PlaceKind
from places.resolver import PlaceUnsure, place_resolve
from places.services import place_tree_renumber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    reset_geocoder()
    yield from shared.fresh_map_index()
    reset_geocoder()


@pytest.fixture
def portlands(places: dict[str, Place]) -> dict[str, Place]:
    """Two more Portlands: a small city in Maine and a parish of Jamaica."""

    def make(kind: str, name: str, parent: Place, **extra: Any) -> Place:
        slug = f"{parent.slug}-{name}".lower().replace(" ", "-")
        return Place.objects.create(
            kind=kind, name=name, search_name=name.lower(), slug=slug, parent=parent, **extra
        )

    maine = make(PlaceKind.STATE, "Maine", places["us"], iso_code="US-ME", latitude=45.3,
                 longitude=-69.2)  # fmt: skip
    jamaica = make(PlaceKind.COUNTRY, "Jamaica", places["world"], iso_code="JM", latitude=18.1,
                   longitude=-77.3, population=2_800_000)  # fmt: skip
    out = {
        "maine": make(
            PlaceKind.LOCALITY,
            "Portland",
            maine,
            latitude=43.66,
            longitude=-70.26,
            population=66_881,
        ),  # fmt: skip
        "jamaica": make(
            PlaceKind.STATE, "Portland", jamaica, iso_code="JM-04", latitude=18.13, longitude=-76.54
        ),  # fmt: skip
    }
    place_tree_renumber()
    reset_geocoder()
    return out


@pytest.fixture
def listings(places: dict[str, Place], organizer: Any) -> dict[str, Organization]:
    return shared.make_listings(places, organizer)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def search(client: Client, **params: str) -> Any:
    return client.get(reverse("directory:search"), params)


class TestResolver:
    @pytest.mark.parametrize(
        ("text", "key"),
        [
            ("Seattle, WA", "seattle"),
            ("Seattle, Washington", "seattle"),
            ("Portland, OR", "portland"),
            ("Portland OR", "portland"),
            ("Oregon, Portland", "portland"),
            ("oakland ca", "oakland"),
        ],
    )
    def test_it_accepts_what_the_geocoder_accepts(
        self, places: dict[str, Place], text: str, key: str
    ) -> None:
        assert place_resolve(user=None, text=text) == places[key]

    def test_it_asks_about_a_bare_portland_biggest_first_never_jamaica(
        self, places: dict[str, Place], portlands: dict[str, Place]
    ) -> None:
        with pytest.raises(PlaceUnsure) as asked:
            place_resolve(user=None, text="Portland")
        labels = [c.label for c in asked.value.choices]
        assert labels[0] == "Portland, Oregon, United States"
        assert "Portland, Maine, United States" in labels
        pick = asked.value.choices[1].pk
        chosen = place_resolve(user=None, text="Portland", pick=pick)
        assert chosen is not None and chosen.pk == pick

    def test_it_ignores_a_pick_that_is_not_one_of_the_choices(
        self, places: dict[str, Place], portlands: dict[str, Place]
    ) -> None:
        with pytest.raises(PlaceUnsure):
            place_resolve(user=None, text="Portland", pick=places["seattle"].pk)

    def test_it_reads_back_every_label_the_suggestion_list_shows(
        self, client: Client, places: dict[str, Place], portlands: dict[str, Place]
    ) -> None:
        for prefix in ("Port", "Seat", "Oak", "Cal", "Was", "Casc", "Uni", "New"):
            body = client.get(reverse("places:suggest"), {"near": prefix}).content.decode()
            labels = re.findall(r'<option value="([^"]+)">', body)
            assert labels, prefix
            for label in labels:
                place = place_resolve(user=None, text=label)
                assert place is not None and label.startswith(place.name), label

    def test_it_names_the_unknown_text_in_its_error(self, places: dict[str, Place]) -> None:
        with pytest.raises(Exception, match="Narnia"):
            place_resolve(user=None, text="Narnia")


class TestNearField:
    def test_it_searches_near_a_place_typed_with_its_state_code(
        self, client: Client, listings: dict, places: dict[str, Place]
    ) -> None:
        for text in ("Seattle, WA", "Seattle, Washington", "Seattle, Washington, United States"):
            response = search(client, near=text)
            assert response.status_code == 200, text
            assert response.context["resolved"]["near"] == places["seattle"]

    def test_it_asks_which_portland_in_the_page_and_searches_the_one_chosen(
        self, client: Client, listings: dict, places: dict, portlands: dict
    ) -> None:
        response = search(client, near="Portland")
        assert response.status_code == 400
        body = response.content.decode()
        assert "may mean several places" in body
        asks = response.context["place_choices"]
        assert [link["label"] for link in asks[0]["links"]][:2] == [
            "Portland, Oregon, United States",
            "Portland, Maine, United States",
        ]
        assert "Jamaica" not in asks[0]["links"][0]["label"]
        chosen = client.get(reverse("directory:search") + asks[0]["links"][0]["url"])
        assert chosen.status_code == 200
        assert chosen.context["resolved"]["near"] == places["portland"]
        # The choice stays in the form for the next filter change.
        assert f'name="near_pick" value="{places["portland"].pk}"' in chosen.content.decode()


class TestListingEditor:
    def editor(self, org: Organization) -> str:
        return reverse("outreach:listing_edit", args=[org.slug])

    def data(self, org: Organization, **changes: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": org.name,
            "kind": org.kind,
            "status": org.status,
            "description": org.description,
            "home_place": "Portland, Oregon, United States",
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
        out.update(changes)
        return out

    def test_it_shows_the_home_place_by_name_never_by_slug(
        self, listings: dict, organizer: Any
    ) -> None:
        org = listings["tenants"]
        body = signed_in(organizer).get(self.editor(org)).content.decode()
        assert 'value="Portland, Oregon, United States"' in body
        assert org.home_place.slug not in re.findall(r'name="home_place"[^>]*value="([^"]*)"', body)

    def test_it_saves_an_unchanged_label_without_asking(
        self, listings: dict, organizer: Any, places: dict
    ) -> None:
        org = listings["tenants"]
        response = signed_in(organizer).post(self.editor(org), self.data(org, name="Renamed"))
        assert response.status_code == 302
        org.refresh_from_db()
        assert org.name == "Renamed" and org.home_place == places["portland"]

    def test_it_takes_seattle_wa(self, listings: dict, organizer: Any, places: dict) -> None:
        org = listings["tenants"]
        response = signed_in(organizer).post(
            self.editor(org), self.data(org, home_place="Seattle, WA")
        )
        assert response.status_code == 302
        org.refresh_from_db()
        assert org.home_place == places["seattle"]

    def test_it_asks_which_portland_and_saves_the_one_picked(
        self, listings: dict, organizer: Any, places: dict, portlands: dict
    ) -> None:
        org = listings["tenants"]
        client = signed_in(organizer)
        response = client.post(self.editor(org), self.data(org, home_place="Portland"))
        assert response.status_code == 400
        body = response.content.decode()
        assert 'name="home_place_pick"' in body and "Portland, Maine, United States" in body
        org.refresh_from_db()
        assert org.home_place == places["portland"]
        maine = portlands["maine"]
        response = client.post(
            self.editor(org), self.data(org, home_place="Portland", home_place_pick=maine.pk)
        )
        assert response.status_code == 302
        org.refresh_from_db()
        assert org.home_place == maine

    def test_it_asks_before_moving_a_group_to_another_country_and_logs_it(
        self, listings: dict, organizer: Any, places: dict
    ) -> None:
        org = listings["tenants"]
        other = places["seattle"]
        client = signed_in(organizer)
        response = client.post(self.editor(org), self.data(org, home_place="Vancouver, BC"))
        assert response.status_code == 400
        assert "in another country" in response.content.decode()
        assert f'name="confirm_move" value="{places["vancouver"].pk}"' in response.content.decode()
        org.refresh_from_db()
        assert org.home_place == places["portland"]
        assert not AuditEvent.objects.filter(action="organization.home_place_move").exists()
        response = client.post(
            self.editor(org), self.data(org, home_place="Vancouver, BC", confirm_move=other.pk)
        )
        assert response.status_code == 400, "a box ticked for another place confirms nothing"
        response = client.post(
            self.editor(org),
            self.data(org, home_place="Vancouver, BC", confirm_move=places["vancouver"].pk),
        )
        assert response.status_code == 302
        org.refresh_from_db()
        assert org.home_place == places["vancouver"]
        event = AuditEvent.objects.get(action="organization.home_place_move")
        assert event.actor == organizer and event.target_id == str(org.pk)
        assert event.data["from_name"] == "Portland, Oregon, United States"
        assert event.data["to_name"] == "Vancouver, British Columbia, Canada"

    def test_it_asks_a_coordinator_before_moving_a_group_out_of_their_region(
        self, listings: dict, organizer: Any, places: dict
    ) -> None:
        RegionalCoordinator.objects.create(user=organizer, place=places["oregon"])
        org = listings["tenants"]
        client = signed_in(organizer)
        response = client.post(self.editor(org), self.data(org, home_place="Seattle, WA"))
        assert response.status_code == 400
        assert "out of Oregon" in response.content.decode()
        response = client.post(
            self.editor(org),
            self.data(org, home_place="Seattle, WA", confirm_move=places["seattle"].pk),
        )
        assert response.status_code == 302
        assert AuditEvent.objects.filter(action="organization.home_place_move").count() == 1

    def test_it_refuses_an_outsider(self, listings: dict, outsider: Any) -> None:
        org = listings["tenants"]
        response = signed_in(outsider).post(
            self.editor(org), self.data(org, home_place="Seattle, WA")
        )
        assert response.status_code == 403
