"""Calls and local events keep the time people gave, on the clock of the place it happens:
the form, the stored value, the page, the iCalendar feed (TZID) and SITE_URL links in it."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from actions import services, timezones
from actions.models import CallToAction
from actions.tests.conftest import call_for

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


def _day(days: int = 20) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%d")


def call_post(cast, **extra):
    data = {
        "coalition": str(cast.coalition.pk),
        "title": "Fares down, service up",
        "description": "Rallies at every depot.",
        "scope": "united-states-california",
        "starts_at": f"{_day(20)}T10:00",
        "deadline": f"{_day(10)}T17:00",
        "min_organizations": "2",
        "place_level": "",
        "min_places": "0",
        "min_per_place": "1",
        "time_zone": "",
    }
    data.update(extra)
    return data


class TestPlaceZones:
    def test_it_finds_the_one_zone_of_a_state_inside_one(self, places):
        assert timezones.default_zone(places["california"]) == "America/Los_Angeles"
        assert timezones.default_zone(places["oakland"]) == "America/Los_Angeles"

    def test_it_finds_no_single_zone_for_a_place_that_spans_several(self, places):
        assert timezones.default_zone(places["us"]) is None
        zones = timezones.place_zones(places["us"])
        assert {"America/Los_Angeles", "America/New_York"} <= set(zones)
        assert timezones.default_zone(places["world"]) is None

    def test_it_looks_inside_a_region_made_of_other_places(self, places):
        assert "America/Vancouver" in timezones.place_zones(places["cascadia"])

    def test_it_knows_a_zone_name_from_a_made_up_one(self):
        assert timezones.is_zone("America/Los_Angeles") and timezones.is_zone("UTC")
        assert not timezones.is_zone("Mars/Olympus_Mons") and not timezones.is_zone("")


class TestIssuingAtTenInLosAngeles:
    def test_it_stores_ten_o_clock_pacific_not_ten_utc(self, client, cast, member):
        client.force_login(member)
        response = client.post(reverse("actions:new"), call_post(cast))
        assert response.status_code == 302
        call = CallToAction.objects.get(title="Fares down, service up")
        assert call.time_zone == "America/Los_Angeles"
        local = call.starts_at.astimezone(LA)
        assert (local.hour, local.minute) == (10, 0)
        assert call.starts_at.utcoffset() is not None
        assert call.deadline.astimezone(LA).hour == 17

    def test_it_shows_ten_o_clock_with_the_zone_on_the_page_and_the_edit_form(
        self, client, cast, member
    ):
        client.force_login(member)
        client.post(reverse("actions:new"), call_post(cast))
        call = CallToAction.objects.get(title="Fares down, service up")
        page = client.get(call.get_absolute_url()).text
        assert "10:00 America/Los_Angeles" in page
        form = client.get(reverse("actions:edit", args=[call.slug])).text
        assert f'value="{_day(20)}T10:00"' in form

    def test_it_asks_for_a_zone_where_the_scope_spans_several(self, client, cast, member):
        client.force_login(member)
        response = client.post(reverse("actions:new"), call_post(cast, scope="united-states"))
        assert response.status_code == 400
        assert "spans several time zones" in response.text
        assert not CallToAction.objects.exists()
        chosen = call_post(cast, scope="united-states", time_zone="America/Los_Angeles")
        assert client.post(reverse("actions:new"), chosen).status_code == 302
        call = CallToAction.objects.get()
        assert call.starts_at.astimezone(LA).hour == 10

    def test_it_refuses_a_made_up_zone(self, client, cast, member):
        client.force_login(member)
        response = client.post(reverse("actions:new"), call_post(cast, time_zone="Mars/Base"))
        assert response.status_code == 400

    def test_the_feed_says_ten_o_clock_los_angeles(self, client, cast, member):
        client.force_login(member)
        client.post(reverse("actions:new"), call_post(cast))
        call = CallToAction.objects.get(title="Fares down, service up")
        body = client.get(reverse("actions:call_ics", args=[call.slug])).content.decode()
        stamp = _day(20).replace("-", "")
        assert f"DTSTART;TZID=America/Los_Angeles:{stamp}T100000" in body
        assert "BEGIN:VTIMEZONE" in body and "TZID:America/Los_Angeles" in body
        [event] = Calendar.from_ical(body).walk("VEVENT")
        start = event.decoded("DTSTART")
        assert isinstance(start, datetime)
        # What a calendar in UTC shows: 17:00 or 18:00 (daylight or standard time), not 02:00.
        assert start.astimezone(ZoneInfo("UTC")).hour in (17, 18)
        assert start.astimezone(LA).hour == 10


class TestLocalEvents:
    def test_a_groups_event_is_on_its_own_clock_in_the_feed(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=5)
        day = call.starts_at.date()
        services.commitment_make(
            user=organizer,
            call=call,
            organization=cast.groups["nyc"],
            event_date=day,
            event_time=time(18, 30),
        )
        c = call.commitments.get()
        assert c.time_zone == "America/New_York"
        assert c.event_start == datetime.combine(
            day, time(18, 30), tzinfo=ZoneInfo("America/New_York")
        )

    def test_the_feed_carries_the_events_zone_and_site_url(
        self, client, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["us"], min_organizations=5)
        services.commitment_make(
            user=organizer,
            call=call,
            organization=cast.groups["oakland"],
            event_date=call.starts_at.date(),
            event_time=time(10, 0),
        )
        with override_settings(SITE_URL="https://hub.example.org:8443"):
            body = client.get(reverse("actions:call_ics", args=[call.slug])).content.decode()
        unfolded = body.replace("\r\n ", "")
        stamp = call.starts_at.date().strftime("%Y%m%d")
        assert f"DTSTART;TZID=America/Los_Angeles:{stamp}T100000" in unfolded
        assert f"URL:https://hub.example.org:8443/actions/{call.slug}/" in unfolded
        assert "https://hub.example.org:8443/organizations/oakland-tenants/" in unfolded
        assert "@hub.example.org" in unfolded

    def test_without_site_url_links_follow_the_request_scheme_and_port(
        self, client, cast, member, places, settings
    ):
        settings.SITE_URL = ""
        settings.ALLOWED_HOSTS = ["127.0.0.1"]
        call = call_for(cast, member, places["us"], min_organizations=5)
        body = client.get(
            reverse("actions:call_ics", args=[call.slug]), HTTP_HOST="127.0.0.1:8000"
        ).content.decode()
        assert f"URL:http://127.0.0.1:8000/actions/{call.slug}/" in body.replace("\r\n ", "")

    def test_the_commit_form_offers_the_zone(self, client, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=5)
        client.force_login(organizer)
        response = client.post(
            reverse("actions:commit", args=[call.slug]),
            {
                "organization": str(cast.groups["portland"].pk),
                "expected_turnout": "10",
                "event_date": call.starts_at.date().isoformat(),
                "event_time": "09:00",
                "time_zone": "America/Denver",
            },
        )
        assert response.status_code == 302
        c = call.commitments.get()
        assert c.time_zone == "America/Denver"
        assert "09:00 America/Denver" in client.get(call.get_absolute_url()).text


class TestProgressTable:
    def test_a_state_level_call_lists_every_state_in_its_scope_and_no_counties(
        self, client, cast, member, organizer, places
    ):
        call = call_for(
            cast, member, places["us"], min_organizations=0, place_level="state", min_places=2
        )
        services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        text = client.get(call.get_absolute_url()).text
        table = text[text.index("<caption>") : text.index("</table>")]
        for state in ["California", "Oregon", "Washington", "New York"]:
            assert f">{state}</a>" in table
        assert "British Columbia" not in table  # in Canada, outside the call's scope
        assert "County" not in table and "Cascadia" not in table
        # The state with a commitment comes first.
        assert table.index(">California</a>") < table.index(">New York</a>")

    def test_a_county_level_call_lists_counties(self, client, cast, member, places):
        call = call_for(
            cast,
            member,
            places["california"],
            min_organizations=0,
            place_level="county",
            min_places=1,
        )
        text = client.get(call.get_absolute_url()).text
        table = text[text.index("<caption>") : text.index("</table>")]
        assert "Alameda County" in table and "Humboldt County" in table
        assert "Multnomah County" not in table

    def test_a_long_list_shows_places_with_commitments_and_counts_the_rest(
        self, cast, member, organizer, places, monkeypatch
    ):
        from actions import selectors

        monkeypatch.setattr(selectors, "MAX_PLACE_ROWS", 2)
        call = call_for(
            cast, member, places["us"], min_organizations=0, place_level="state", min_places=2
        )
        services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        table = selectors.call_place_rows(call)
        assert [r.place.name for r in table.rows] == ["California"]
        assert table.without == 3


class TestLinksInMail:
    def test_mail_links_use_site_url_with_its_scheme_and_port(self, cast, member, places):
        from actions import delivery

        call = call_for(cast, member, places["us"])
        with override_settings(SITE_URL="https://hub.example.org:8443/"):
            assert (
                delivery.absolute_url(call) == f"https://hub.example.org:8443/actions/{call.slug}/"
            )
            assert delivery.unsubscribe_url(7).startswith("https://hub.example.org:8443/actions/")


def test_it_offers_every_zone_under_a_label_short_enough_for_a_phone() -> None:
    # "America/Argentina/ComodRivadavia" was cut off in a 360 px wide select; grouped by
    # continent, each option names only what follows it.
    offered: list[str] = []
    labels: list[str] = []
    for value, label in timezones.zone_choices():
        if isinstance(label, list):
            offered += [zone for zone, _ in label]
            labels += [text for _, text in label]
        else:
            offered.append(value)
            labels.append(label)
    assert "America/Argentina/ComodRivadavia" in offered and "UTC" in offered
    assert len(offered) == len(set(offered)) == len(timezones.all_zones())
    assert max(len(label) for label in labels) <= 26
