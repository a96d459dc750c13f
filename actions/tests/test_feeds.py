"""iCalendar feeds and the OSDI JSON of events and attendances."""

import pytest
from django.urls import reverse
from icalendar import Calendar

from actions import services
from actions.tests.conftest import call_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def gathering(cast, member, organizer, places):
    call = call_for(cast, member, places["us"], min_organizations=5)
    services.commitment_make(
        user=organizer,
        call=call,
        organization=cast.groups["portland"],
        expected_turnout=40,
        event_date=call.starts_at.date(),
        venue="Pioneer Square",
        address="701 SW 6th Ave",
        address_public=True,
        accessibility="Step-free",
    )
    services.commitment_make(
        user=organizer,
        call=call,
        organization=cast.groups["oakland"],
        event_date=call.starts_at.date(),
        venue="Secret basement",
        address="12 Hidden Lane",
        address_public=False,
    )
    services.commitment_make(user=organizer, call=call, organization=cast.groups["seattle"])
    return call


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return [c for c in Calendar.from_ical(response.content).walk("VEVENT")]


class TestICalendar:
    def test_it_lists_the_call_and_its_local_events(self, client, gathering):
        events = _events(client.get(reverse("actions:call_ics", args=[gathering.slug])))
        summaries = sorted(str(e["SUMMARY"]) for e in events)
        assert len(events) == 3  # the day of action and two local events with dates
        assert any("Portland Tenants" in s for s in summaries)
        assert all(str(e["STATUS"]) == "TENTATIVE" for e in events)

    def test_it_keeps_private_addresses_out(self, client, gathering):
        body = client.get(reverse("actions:call_ics", args=[gathering.slug])).content.decode()
        assert "701 SW 6th Ave" in body
        assert "12 Hidden Lane" not in body

    def test_it_serves_a_place_feed(self, client, gathering, places):
        events = _events(client.get(reverse("actions:place_ics", args=[places["oregon"].slug])))
        assert [str(e["SUMMARY"]).split(": ")[1] for e in events] == ["Portland Tenants"]

    def test_it_serves_an_organization_feed(self, client, gathering, cast):
        events = _events(
            client.get(reverse("actions:organization_ics", args=[cast.groups["oakland"].slug]))
        )
        assert len(events) == 1
        coalition = _events(
            client.get(reverse("actions:organization_ics", args=[cast.coalition.slug]))
        )
        assert len(coalition) == 1  # the call it issued

    def test_it_confirms_events_once_the_call_goes(self, client, gathering, cast, organizer):
        services.commitment_make(user=organizer, call=gathering, organization=cast.groups["nyc"])
        services.commitment_make(user=organizer, call=gathering, organization=cast.groups["eureka"])
        events = _events(client.get(reverse("actions:call_ics", args=[gathering.slug])))
        assert {str(e["STATUS"]) for e in events} == {"CONFIRMED"}

    def test_it_answers_404_for_unknown_places_and_hidden_groups(self, client, cast, gathering):
        assert client.get(reverse("actions:place_ics", args=["nowhere"])).status_code == 404
        org = cast.groups["oakland"]
        org.is_hidden = True
        org.save()
        assert client.get(reverse("actions:organization_ics", args=[org.slug])).status_code == 404

    def test_it_refuses_a_post(self, client, gathering):
        assert client.post(reverse("actions:call_ics", args=[gathering.slug])).status_code == 405


class TestOSDI:
    def test_it_serves_events_as_a_hal_collection(self, client, gathering):
        response = client.get(reverse("actions:osdi_events") + f"?call={gathering.slug}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/hal+json"
        data = response.json()
        assert data["total_records"] == 2
        assert {"total_pages", "per_page", "page", "_links", "_embedded"} <= set(data)
        events = data["_embedded"]["osdi:events"]
        assert [link["href"] for link in data["_links"]["osdi:events"]] == [
            e["_links"]["self"]["href"] for e in events
        ]
        portland = next(e for e in events if "Portland" in e["title"])
        assert portland["status"] == "tentative"
        assert portland["location"]["venue"] == "Pioneer Square"
        assert portland["location"]["address_lines"] == ["701 SW 6th Ave"]
        assert portland["location"]["region"] == "OR"
        assert portland["location"]["country"] == "US"
        assert portland["origin_system"] == "Commonweal"
        assert {"self", "osdi:attendances", "osdi:organizer"} <= set(portland["_links"])
        oakland = next(e for e in events if "Oakland" in e["title"])
        assert "address_lines" not in oakland["location"]

    def test_it_serves_one_event_and_its_attendances(self, client, gathering):
        first = client.get(reverse("actions:osdi_events")).json()["_embedded"]["osdi:events"][0]
        one = client.get(first["_links"]["self"]["href"]).json()
        assert one["identifiers"] == first["identifiers"]
        attendances = client.get(first["_links"]["osdi:attendances"]["href"]).json()
        item = attendances["_embedded"]["osdi:attendances"][0]
        assert item["status"] == "accepted"
        assert "osdi:event" in item["_links"]
        assert "osdi:person" not in item["_links"]

    def test_it_pages_with_next_links(self, client, gathering):
        data = client.get(reverse("actions:osdi_events") + "?per_page=1").json()
        assert data["total_pages"] == 2
        assert "page=2" in data["_links"]["next"]["href"]

    def test_it_names_bad_parameters(self, client, gathering):
        response = client.get(reverse("actions:osdi_events") + "?per_page=1000")
        assert response.status_code == 400
        assert response.json()["field"] == "per_page"
        response = client.get(reverse("actions:osdi_events") + "?place=atlantis")
        assert response.json()["field"] == "place"

    def test_it_has_an_entry_point(self, client):
        data = client.get(reverse("actions:osdi")).json()
        assert "osdi:events" in data["_links"]

    def test_it_answers_404_for_an_unknown_event(self, client):
        assert client.get(reverse("actions:osdi_event", args=[999])).status_code == 404

    def test_it_refuses_a_post(self, client):
        assert client.post(reverse("actions:osdi_events")).status_code == 405
