"""Every action page: the normal case, the wrong method, and an outsider who is refused."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.models import CallState, CallToAction, Commitment, CommitmentState
from actions.tests.conftest import call_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(cast, member, places):
    return call_for(cast, member, places["us"], place_level="state", min_places=2)


def _dt(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def call_post(cast, **extra):
    now = timezone.now()
    data = {
        "coalition": str(cast.coalition.pk),
        "title": "Save the bus lines",
        "description": "Rallies at every depot.",
        "scope": "united-states",
        "starts_at": _dt(now + timedelta(days=10)),
        "deadline": _dt(now + timedelta(days=5)),
        "issue_areas": ["transportation"],
        "min_organizations": "2",
        "place_level": "",
        "min_places": "0",
        "min_per_place": "1",
        # The United States spans several zones, so the form needs one chosen.
        "time_zone": "America/New_York",
    }
    data.update(extra)
    return data


class TestList:
    def test_it_lists_open_calls(self, client, call):
        response = client.get(reverse("actions:list"))
        assert response.status_code == 200
        assert call.title in response.text

    def test_it_hides_closed_calls_unless_asked(self, client, call, member):
        services.call_cancel(user=member, call=call)
        assert call.title not in client.get(reverse("actions:list")).text
        assert call.title in client.get(reverse("actions:list") + "?state=closed").text

    def test_it_refuses_a_post(self, client):
        assert client.post(reverse("actions:list")).status_code == 405

    def test_it_names_a_bad_filter(self, client):
        assert client.get(reverse("actions:list") + "?state=bogus").status_code == 400


class TestIssuing:
    def test_it_lets_a_coalition_admin_issue_a_call(self, client, cast, member, places):
        client.force_login(member)
        assert client.get(reverse("actions:new")).status_code == 200
        response = client.post(reverse("actions:new"), call_post(cast))
        call = CallToAction.objects.get(title="Save the bus lines")
        assert response.status_code == 302 and response["Location"] == call.get_absolute_url()
        assert call.scope == places["us"]

    def test_it_shows_field_errors(self, client, cast, member, places):
        client.force_login(member)
        response = client.post(reverse("actions:new"), call_post(cast, min_organizations="0"))
        assert response.status_code == 400
        assert "Set at least one threshold" in response.text

    def test_it_names_an_unknown_place(self, client, cast, member, places):
        client.force_login(member)
        response = client.post(reverse("actions:new"), call_post(cast, scope="Atlantis"))
        assert response.status_code == 400
        assert "Atlantis" in response.text

    def test_it_refuses_an_outsider(self, client, cast, outsider):
        client.force_login(outsider)
        assert client.get(reverse("actions:new")).status_code == 403
        assert client.post(reverse("actions:new"), call_post(cast)).status_code == 403
        assert not CallToAction.objects.exists()

    def test_it_sends_anonymous_people_to_sign_in(self, client):
        assert client.get(reverse("actions:new")).status_code == 302

    def test_it_refuses_a_put(self, client, member):
        client.force_login(member)
        assert client.put(reverse("actions:new")).status_code == 405


class TestCallPage:
    def test_it_shows_progress_and_events(self, client, call, cast, organizer):
        services.commitment_make(
            user=organizer,
            call=call,
            organization=cast.groups["oakland"],
            event_date=call.starts_at.date(),
            venue="City Hall steps",
            address="14th St",
            address_public=False,
        )
        response = client.get(call.get_absolute_url())
        assert response.status_code == 200
        assert "1 of 2 states or provinces" in response.text
        assert "City Hall steps" in response.text
        assert "14th St" not in response.text  # the address is not public

    def test_it_polls_progress_while_gathering(self, client, call):
        response = client.get(reverse("actions:progress", args=[call.slug]))
        assert response.status_code == 200
        assert 'hx-trigger="every 10s"' in response.text

    def test_it_serves_the_rollup_and_the_map(self, client, call, cast, organizer, places):
        services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        services.commitment_make(user=organizer, call=call, organization=cast.groups["berkeley"])
        data = client.get(reverse("actions:rollup", args=[call.slug])).json()
        assert data["total"] == 2
        assert data["counts"]["state"] == {"united-states-california": 2}
        assert data["counts"]["county"] == {places["alameda"].slug: 2}
        assert data["counts"]["country"] == {"united-states": 2}
        assert data["min_per_place"] == 1
        points = client.get(reverse("actions:map", args=[call.slug])).json()["points"]
        assert len(points) == 2

    def test_it_answers_404_for_an_unknown_call(self, client):
        assert client.get("/actions/no-such-call/").status_code == 404

    def test_it_refuses_a_post(self, client, call):
        assert client.post(call.get_absolute_url()).status_code == 405
        assert client.post(reverse("actions:progress", args=[call.slug])).status_code == 405


class TestEditing:
    def test_it_lets_the_coalition_edit_before_commitments(self, client, call, cast, member):
        client.force_login(member)
        assert client.get(reverse("actions:edit", args=[call.slug])).status_code == 200
        response = client.post(
            reverse("actions:edit", args=[call.slug]), call_post(cast, title="Renamed")
        )
        assert response.status_code == 302
        call.refresh_from_db()
        assert call.title == "Renamed"

    def test_it_shows_the_scope_by_name_and_reads_that_name_back(self, client, call, cast, member):
        client.force_login(member)
        page = client.get(reverse("actions:edit", args=[call.slug])).text
        shown = page.split('name="scope"')[1].split('value="')[1].split('"')[0]
        assert shown != call.scope.slug and shown.startswith(call.scope.name)
        response = client.post(
            reverse("actions:edit", args=[call.slug]), call_post(cast, scope=shown, title="Same")
        )
        assert response.status_code == 302
        scope = call.scope
        call.refresh_from_db()
        assert call.scope == scope

    def test_it_shows_a_committed_call_read_only_instead_of_failing_on_save(
        self, client, call, cast, member, organizer
    ):
        services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        client.force_login(member)
        page = client.get(reverse("actions:edit", args=[call.slug]))
        assert page.status_code == 200
        assert "can no longer change" in page.text and "<form" not in page.text.split("<main")[1]
        assert reverse("actions:supersede", args=[call.slug]) in page.text
        response = client.post(
            reverse("actions:edit", args=[call.slug]), call_post(cast, title="Renamed")
        )
        assert response.status_code == 409 and "can no longer change" in response.text
        call.refresh_from_db()
        assert call.title != "Renamed"
        assert "Edit this call" not in client.get(call.get_absolute_url()).text

    def test_it_shows_a_closed_call_read_only(self, client, call, member):
        services.call_cancel(user=member, call=call)
        client.force_login(member)
        page = client.get(reverse("actions:edit", args=[call.slug]))
        assert page.status_code == 200 and "This call is closed" in page.text

    def test_it_supersedes_through_the_page(self, client, call, cast, member, organizer):
        services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        client.force_login(member)
        response = client.post(
            reverse("actions:supersede", args=[call.slug]), call_post(cast, title="Second try")
        )
        assert response.status_code == 302
        new = CallToAction.objects.get(title="Second try")
        assert new.supersedes_id == call.pk

    def test_it_refuses_an_outsider(self, client, call, cast, outsider):
        client.force_login(outsider)
        assert client.get(reverse("actions:edit", args=[call.slug])).status_code == 403
        assert client.get(reverse("actions:cancel", args=[call.slug])).status_code == 403
        assert client.post(reverse("actions:cancel", args=[call.slug])).status_code == 403

    def test_it_asks_for_confirmation_before_cancelling(self, client, call, member):
        client.force_login(member)
        page = client.get(call.get_absolute_url())
        # The call's page links to a confirmation; no button there cancels at once.
        assert 'action="' + reverse("actions:cancel", args=[call.slug]) not in page.text
        confirm = client.get(reverse("actions:cancel", args=[call.slug]))
        assert confirm.status_code == 200
        assert "Yes, cancel the call" in confirm.text and "No, keep it" in confirm.text
        call.refresh_from_db()
        assert call.state == CallState.GATHERING

    def test_it_cancels_only_with_the_confirmation(self, client, call, member):
        client.force_login(member)
        url = reverse("actions:cancel", args=[call.slug])
        assert client.post(url).status_code == 400
        call.refresh_from_db()
        assert call.state == CallState.GATHERING
        response = client.post(url, {"confirm": "on", "reason": "The council backed down."})
        assert response.status_code == 302
        call.refresh_from_db()
        assert call.state == CallState.CANCELLED

    def test_it_refuses_a_put_on_cancel(self, client, call, member):
        client.force_login(member)
        assert client.put(reverse("actions:cancel", args=[call.slug])).status_code == 405


class TestCommitting:
    def test_it_commits_a_group_through_the_form(self, client, call, cast, organizer):
        client.force_login(organizer)
        assert client.get(reverse("actions:commit", args=[call.slug])).status_code == 200
        response = client.post(
            reverse("actions:commit", args=[call.slug]),
            {
                "organization": str(cast.groups["portland"].pk),
                "expected_turnout": "30",
                "event_date": call.starts_at.date().isoformat(),
                "event_time": "17:30",
                "venue": "Pioneer Square",
            },
        )
        assert response.status_code == 302
        c = Commitment.objects.get(call=call)
        assert (c.organization, c.expected_turnout, c.venue) == (
            cast.groups["portland"],
            30,
            "Pioneer Square",
        )

    def test_it_shows_a_clear_error_for_a_group_outside_the_scope(
        self, client, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["oregon"])
        client.force_login(organizer)
        response = client.post(
            reverse("actions:commit", args=[call.slug]),
            {"organization": str(cast.groups["nyc"].pk), "expected_turnout": "0"},
        )
        assert response.status_code == 400
        assert "not based inside Oregon" in response.text

    def test_it_refuses_someone_without_a_group(self, client, call, member):
        client.force_login(member)  # admin of the coalition, which is not a committing group
        response = client.get(reverse("actions:commit", args=[call.slug]))
        assert response.status_code in (200, 403)

    def test_it_refuses_a_group_the_person_does_not_administer(self, client, call, cast, outsider):
        client.force_login(outsider)
        response = client.post(
            reverse("actions:commit", args=[call.slug]),
            {"organization": str(cast.groups["oakland"].pk), "expected_turnout": "1"},
        )
        assert response.status_code == 400  # not one of the choices offered to them
        assert not Commitment.objects.exists()

    def test_it_withdraws_by_post(self, client, call, cast, organizer):
        c = services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        client.force_login(organizer)
        url = reverse("actions:withdraw", args=[call.slug, c.pk])
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 302
        c.refresh_from_db()
        assert c.state == CommitmentState.WITHDRAWN

    def test_it_refuses_withdrawal_by_an_outsider(self, client, call, cast, organizer, outsider):
        c = services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        client.force_login(outsider)
        assert client.post(reverse("actions:withdraw", args=[call.slug, c.pk])).status_code == 403


def _happened(call):
    """Move a call's day of action into the past, as if the reports were given after it."""
    now = timezone.now()
    CallToAction.objects.filter(pk=call.pk).update(
        starts_at=now - timedelta(hours=1), deadline=now - timedelta(days=1)
    )


class TestAfterAction:
    @pytest.fixture
    def went(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=2)
        a = services.commitment_make(
            user=organizer, call=call, organization=cast.groups["oakland"], expected_turnout=50
        )
        services.commitment_make(user=organizer, call=call, organization=cast.groups["portland"])
        return call, a

    def test_it_refuses_a_report_before_the_event_and_says_why(self, client, went, organizer):
        call, a = went
        client.force_login(organizer)
        page = client.get(reverse("actions:call", args=[call.slug]))
        assert "Report on your event" not in page.text
        assert "Reports open" in page.text
        url = reverse("actions:report", args=[call.slug, a.pk])
        response = client.post(url, {"held": "yes", "turnout": "75"})
        assert response.status_code == 400
        assert "Reports open once the event has begun" in response.text

    def test_it_takes_a_report_and_rolls_it_up(self, client, went, organizer, member):
        call, a = went
        _happened(call)
        client.force_login(organizer)
        url = reverse("actions:report", args=[call.slug, a.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"held": "yes", "turnout": "75", "outcome": "Great day"})
        assert response.status_code == 302
        page = client.get(reverse("actions:after", args=[call.slug]))
        assert page.status_code == 200
        assert page.context["totals"].reported_turnout == 75
        assert page.context["totals"].unreported == 1
        assert page.context["rows"] is None  # the organizer does not run the coalition
        client.force_login(member)
        rows = client.get(reverse("actions:after", args=[call.slug])).context["rows"]
        assert {c.outcome_label for c in rows} == {"kept", "unreported"}

    def test_it_refuses_a_report_from_an_outsider(self, client, went, outsider):
        call, a = went
        client.force_login(outsider)
        url = reverse("actions:report", args=[call.slug, a.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"held": "yes", "turnout": "1"}).status_code == 403

    def test_it_refuses_a_put(self, client, went, organizer):
        call, a = went
        client.force_login(organizer)
        assert client.put(reverse("actions:report", args=[call.slug, a.pk])).status_code == 405
        assert client.post(reverse("actions:after", args=[call.slug])).status_code == 405


class TestGaps:
    def test_it_lists_places_with_groups_on_the_issue_but_no_commitment(
        self, client, call, cast, organizer
    ):
        services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
        response = client.get(reverse("actions:gaps", args=[call.slug]))
        assert response.status_code == 200
        names = [g.place.name for g in response.context["gaps"]]
        assert "California" not in names
        assert {"Oregon", "Washington", "New York"} <= set(names)
        oregon = next(g for g in response.context["gaps"] if g.place.name == "Oregon")
        assert oregon.candidates[0].organization == cast.groups["portland"]
        # Portland is nearer Oakland than New York City is.
        ny = next(g for g in response.context["gaps"] if g.place.name == "New York")
        assert oregon.candidates[0].distance_km < ny.candidates[0].distance_km

    def test_it_refuses_a_post(self, client, call):
        assert client.post(reverse("actions:gaps", args=[call.slug])).status_code == 405
