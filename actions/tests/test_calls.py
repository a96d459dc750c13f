"""Calls to action: who issues them, thresholds, the state machine, freezing and superseding."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from actions import services
from actions.models import CallState, CallToAction, PlaceTally
from actions.tests.conftest import call_for

pytestmark = pytest.mark.django_db


def commit(call, org, user, **extra):
    return services.commitment_make(user=user, call=call, organization=org, **extra)


class TestIssuing:
    def test_it_lets_a_coalition_admin_issue_a_call(self, cast, member, places):
        call = call_for(cast, member, places["us"])
        assert call.state == CallState.GATHERING
        assert call.slug == "national-day-of-action-for-tenants"
        assert call.issue_mask == 1 << cast.issues["housing"].bit

    def test_it_refuses_someone_who_is_not_an_admin_of_the_coalition(self, cast, outsider, places):
        with pytest.raises(PermissionDenied):
            call_for(cast, outsider, places["us"])

    def test_it_refuses_an_organization_that_is_not_a_coalition(self, cast, organizer, places):
        with pytest.raises(PermissionDenied):
            services.call_create(
                user=organizer,
                coalition=cast.groups["oakland"],
                title="x",
                description="y",
                scope=places["us"],
                starts_at=timezone.now() + timedelta(days=3),
                deadline=timezone.now() + timedelta(days=2),
                min_organizations=2,
            )

    def test_it_names_the_field_when_thresholds_are_missing(self, cast, member, places):
        with pytest.raises(ValidationError) as err:
            call_for(cast, member, places["us"], min_organizations=0)
        assert "min_organizations" in err.value.message_dict

    def test_it_needs_a_level_to_count_places(self, cast, member, places):
        with pytest.raises(ValidationError) as err:
            call_for(cast, member, places["us"], min_places=2)
        assert "place_level" in err.value.message_dict

    def test_it_refuses_a_level_the_scope_cannot_hold(self, cast, member, places):
        with pytest.raises(ValidationError) as err:
            call_for(cast, member, places["oregon"], place_level="country", min_places=1)
        assert "place_level" in err.value.message_dict

    def test_it_refuses_a_deadline_after_the_action(self, cast, member, places):
        with pytest.raises(ValidationError) as err:
            call_for(cast, member, places["us"], deadline=timezone.now() + timedelta(days=20))
        assert "deadline" in err.value.message_dict


class TestGoingByItself:
    def test_it_goes_when_enough_organizations_commit(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=3)
        commit(call, cast.groups["oakland"], organizer)
        commit(call, cast.groups["berkeley"], organizer)
        call.refresh_from_db()
        assert call.state == CallState.GATHERING
        commit(call, cast.groups["eureka"], organizer, expected_turnout=40)
        call.refresh_from_db()
        assert call.state == CallState.GO
        assert call.went_at is not None
        assert call.active_count == 3
        assert call.expected_turnout == 40

    def test_it_counts_places_of_the_chosen_level(self, cast, member, organizer, places):
        call = call_for(
            cast,
            member,
            places["us"],
            min_organizations=0,
            place_level="state",
            min_places=2,
            min_per_place=2,
        )
        commit(call, cast.groups["oakland"], organizer)
        commit(call, cast.groups["berkeley"], organizer)  # California has 2
        commit(call, cast.groups["portland"], organizer)  # Oregon has 1
        call.refresh_from_db()
        assert (call.state, call.places_met) == (CallState.GATHERING, 1)
        commit(call, cast.groups["seattle"], organizer)  # Washington has 1
        call.refresh_from_db()
        assert (call.state, call.places_met) == (CallState.GATHERING, 1)
        commit(call, cast.groups["eureka"], organizer)  # California has 3
        call.refresh_from_db()
        assert call.places_met == 1
        tallies = dict(PlaceTally.objects.filter(call=call).values_list("place__slug", "active"))
        assert tallies == {
            "united-states-california": 3,
            "united-states-oregon": 1,
            "united-states-washington": 1,
        }

    def test_it_goes_on_both_rules_together(self, cast, member, organizer, places):
        call = call_for(
            cast, member, places["us"], min_organizations=3, place_level="state", min_places=3
        )
        commit(call, cast.groups["oakland"], organizer)
        commit(call, cast.groups["berkeley"], organizer)
        commit(call, cast.groups["eureka"], organizer)
        call.refresh_from_db()
        assert call.state == CallState.GATHERING  # 3 groups, but all in one state
        commit(call, cast.groups["portland"], organizer)
        commit(call, cast.groups["seattle"], organizer)
        call.refresh_from_db()
        assert call.state == CallState.GO

    def test_it_counts_commitments_inside_a_region_scope_only(
        self, cast, member, organizer, places
    ):
        call = call_for(
            cast, member, places["cascadia"], min_organizations=0, place_level="state", min_places=3
        )
        commit(call, cast.groups["portland"], organizer)
        commit(call, cast.groups["seattle"], organizer)
        with pytest.raises(ValidationError) as err:
            commit(call, cast.groups["oakland"], organizer)  # California, outside Cascadia
        assert "organization" in err.value.message_dict
        commit(call, cast.groups["eureka"], organizer)  # Humboldt is in Cascadia; state California
        call.refresh_from_db()
        assert call.state == CallState.GO

    def test_it_counts_bioregions_as_a_level(self, cast, member, organizer, places):
        call = call_for(
            cast,
            member,
            places["world"],
            min_organizations=0,
            place_level="bioregion",
            min_places=1,
        )
        commit(call, cast.groups["nyc"], organizer)
        call.refresh_from_db()
        assert call.state == CallState.GATHERING
        commit(call, cast.groups["vancouver"], organizer)
        call.refresh_from_db()
        assert call.state == CallState.GO

    def test_it_goes_only_once(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=1)
        commit(call, cast.groups["oakland"], organizer)
        first = CallToAction.objects.get(pk=call.pk).went_at
        commit(call, cast.groups["berkeley"], organizer)
        call.refresh_from_db()
        assert call.went_at == first
        from accounts.models import AuditEvent

        assert AuditEvent.objects.filter(action="call.go", target_id=str(call.pk)).count() == 1

    def test_it_ends_as_not_enough_at_the_deadline(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=5)
        commit(call, cast.groups["oakland"], organizer)
        result = services.call_tick(now=call.deadline + timedelta(seconds=1))
        call.refresh_from_db()
        assert call.state == CallState.NOT_ENOUGH
        assert result["not_enough"] == 1
        again = services.call_tick(now=call.deadline + timedelta(minutes=5))
        assert again["not_enough"] == 0

    def test_it_refuses_commitments_after_the_deadline(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"])
        with pytest.raises(ValidationError):
            commit(call, cast.groups["oakland"], organizer, now=call.deadline + timedelta(hours=1))

    def test_it_leaves_a_tick_before_the_deadline_alone(self, cast, member, places):
        call = call_for(cast, member, places["us"])
        services.call_tick()
        call.refresh_from_db()
        assert call.state == CallState.GATHERING


class TestFreezing:
    def test_it_allows_changes_before_anyone_commits(self, cast, member, places):
        call = call_for(cast, member, places["us"])
        services.call_update(user=member, call=call, title="A better title", min_organizations=10)
        call.refresh_from_db()
        assert (call.title, call.min_organizations) == ("A better title", 10)

    def test_it_freezes_wording_and_thresholds_once_someone_commits(
        self, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["us"])
        commit(call, cast.groups["oakland"], organizer)
        with pytest.raises(ValidationError):
            services.call_update(user=member, call=call, title="Changed")
        with pytest.raises(ValidationError):
            services.call_update(user=member, call=call, min_organizations=1)

    def test_it_stays_frozen_after_the_only_commitment_is_withdrawn(
        self, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["us"])
        c = commit(call, cast.groups["oakland"], organizer)
        services.commitment_withdraw(user=organizer, commitment=c)
        with pytest.raises(ValidationError):
            services.call_update(user=member, call=call, title="Changed")

    def test_it_refuses_changes_from_outsiders(self, cast, member, outsider, places):
        call = call_for(cast, member, places["us"])
        with pytest.raises(PermissionDenied):
            services.call_update(user=outsider, call=call, title="Mine now")

    def test_it_supersedes_a_frozen_call_with_a_new_linked_one(
        self, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["us"])
        commit(call, cast.groups["oakland"], organizer)
        new = services.call_supersede(user=member, call=call, min_organizations=2)
        call.refresh_from_db()
        assert call.state == CallState.CANCELLED
        assert new.supersedes == call
        assert call.superseded_by == new
        assert new.min_organizations == 2
        assert new.title == call.title
        assert list(new.issue_areas.all()) == [cast.issues["housing"]]

    def test_it_cancels_a_gathering_call_only(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=1)
        commit(call, cast.groups["oakland"], organizer)
        with pytest.raises(ValidationError):
            services.call_cancel(user=member, call=call)


def test_it_reads_a_place_typed_by_its_full_name_before_searching(places, member):
    from places.geocoder import reset_geocoder
    from places.models import Place, PlaceKind
    from places.resolver import place_resolve

    Place.objects.create(
        kind=PlaceKind.LOCALITY, name="World's End", slug="worlds-end", parent=places["oregon"]
    )
    reset_geocoder()
    assert place_resolve(user=member, text="World") == places["world"]
