"""Commitments: one per organization, made and withdrawn by its admins, reports after action."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions import services
from actions.models import CallState, Commitment, CommitmentState, PlaceTally
from actions.tests.conftest import call_for

pytestmark = pytest.mark.django_db


def commit(call, org, user, **extra):
    return services.commitment_make(user=user, call=call, organization=org, **extra)


def test_it_lets_an_organization_admin_commit_with_a_local_event(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    c = commit(
        call,
        cast.groups["oakland"],
        organizer,
        expected_turnout=120,
        event_date=call.starts_at.date(),
        venue="Frank Ogawa Plaza",
        address="1 Frank H Ogawa Plaza",
        address_public=True,
        accessibility="Step-free, ASL interpreter",
    )
    assert c.state == CommitmentState.ACTIVE
    assert c.place_lft == places["oakland"].lft
    call.refresh_from_db()
    assert call.frozen and call.active_count == 1 and call.expected_turnout == 120


def test_it_refuses_someone_who_does_not_administer_the_organization(
    cast, member, outsider, places
):
    call = call_for(cast, member, places["us"])
    with pytest.raises(PermissionDenied):
        commit(call, cast.groups["oakland"], outsider)


def test_it_keeps_one_commitment_per_organization(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    commit(call, cast.groups["oakland"], organizer, expected_turnout=10)
    again = commit(call, cast.groups["oakland"], organizer, expected_turnout=25)
    call.refresh_from_db()
    assert Commitment.objects.filter(call=call).count() == 1
    assert again.expected_turnout == 25
    assert (call.active_count, call.expected_turnout) == (1, 25)


def test_it_has_a_database_constraint_against_duplicates(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    commit(call, cast.groups["oakland"], organizer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.create(call=call, organization=cast.groups["oakland"])


def test_it_withdraws_while_gathering_and_counts_go_down(cast, member, organizer, places):
    call = call_for(cast, member, places["us"], place_level="state", min_places=2)
    c = commit(call, cast.groups["oakland"], organizer, expected_turnout=7)
    services.commitment_withdraw(user=organizer, commitment=c)
    call.refresh_from_db()
    c.refresh_from_db()
    assert c.state == CommitmentState.WITHDRAWN
    assert (call.active_count, call.expected_turnout, call.places_met) == (0, 0, 0)
    assert PlaceTally.objects.get(call=call).active == 0


def test_it_lets_a_withdrawn_organization_commit_again(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    c = commit(call, cast.groups["oakland"], organizer)
    services.commitment_withdraw(user=organizer, commitment=c)
    commit(call, cast.groups["oakland"], organizer)
    call.refresh_from_db()
    assert call.active_count == 1
    assert Commitment.objects.get(pk=c.pk).state == CommitmentState.ACTIVE


def test_it_refuses_withdrawal_once_the_call_went(cast, member, organizer, places):
    call = call_for(cast, member, places["us"], min_organizations=1)
    c = commit(call, cast.groups["oakland"], organizer)
    with pytest.raises(ValidationError):
        services.commitment_withdraw(user=organizer, commitment=c)


def test_it_refuses_withdrawal_by_an_outsider(cast, member, organizer, outsider, places):
    call = call_for(cast, member, places["us"])
    c = commit(call, cast.groups["oakland"], organizer)
    with pytest.raises(PermissionDenied):
        services.commitment_withdraw(user=outsider, commitment=c)


def test_it_refuses_hidden_or_inactive_organizations(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    org = cast.groups["oakland"]
    org.status = "inactive"
    org.save()
    with pytest.raises(ValidationError) as err:
        commit(call, org, organizer)
    assert "organization" in err.value.message_dict


def test_it_names_the_field_for_an_event_without_a_date(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    with pytest.raises(ValidationError) as err:
        commit(call, cast.groups["oakland"], organizer, venue="City hall")
    assert "event_date" in err.value.message_dict


def test_it_takes_commitments_after_go(cast, member, organizer, places):
    call = call_for(cast, member, places["us"], min_organizations=1)
    commit(call, cast.groups["oakland"], organizer)
    commit(call, cast.groups["berkeley"], organizer)
    call.refresh_from_db()
    assert (call.state, call.active_count) == (CallState.GO, 2)


def test_it_refuses_commitments_to_a_cancelled_call(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    services.call_cancel(user=member, call=call)
    with pytest.raises(ValidationError):
        commit(call, cast.groups["oakland"], organizer)


AFTER = timezone.now() + timedelta(days=30)  # after every call_for's day of action


class TestAfterAction:
    def test_it_records_turnout_and_outcome(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=1)
        c = commit(call, cast.groups["oakland"], organizer, expected_turnout=50)
        services.commitment_report(
            user=organizer,
            commitment=c,
            held=True,
            turnout=80,
            outcome="Council agreed to vote",
            now=AFTER,
        )
        c.refresh_from_db()
        assert (c.held, c.turnout, c.outcome_label) == (True, 80, "kept")

    def test_it_refuses_reports_before_the_call_went(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"])
        c = commit(call, cast.groups["oakland"], organizer)
        with pytest.raises(ValidationError):
            services.commitment_report(user=organizer, commitment=c, held=True, turnout=3)

    def test_it_refuses_reports_from_outsiders(self, cast, member, organizer, outsider, places):
        call = call_for(cast, member, places["us"], min_organizations=1)
        c = commit(call, cast.groups["oakland"], organizer)
        with pytest.raises(PermissionDenied):
            services.commitment_report(user=outsider, commitment=c, held=True, turnout=3)

    def test_it_refuses_turnout_for_an_event_that_did_not_happen(
        self, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["us"], min_organizations=1)
        c = commit(call, cast.groups["oakland"], organizer)
        with pytest.raises(ValidationError) as err:
            services.commitment_report(
                user=organizer, commitment=c, held=False, turnout=3, now=AFTER
            )
        assert "turnout" in err.value.message_dict

    def test_it_refuses_a_report_before_the_day_of_action_and_says_when(
        self, cast, member, organizer, places
    ):
        call = call_for(cast, member, places["us"], min_organizations=1)
        c = commit(call, cast.groups["oakland"], organizer)
        with pytest.raises(ValidationError) as err:
            services.commitment_report(user=organizer, commitment=c, held=True, turnout=40)
        assert "Reports open once the event has begun" in err.value.messages[0]
        c.refresh_from_db()
        assert c.reported_at is None

    def test_it_refuses_a_report_before_the_groups_own_event(self, cast, member, organizer, places):
        call = call_for(cast, member, places["us"], min_organizations=1)
        event_day = (timezone.now() + timedelta(days=20)).date()
        c = commit(
            call,
            cast.groups["oakland"],
            organizer,
            event_date=event_day,
            event_time=time(18, 0),
        )
        assert c.time_zone == "America/Los_Angeles"  # Oakland's own clock
        before = datetime.combine(event_day, time(17, 59), tzinfo=ZoneInfo("America/Los_Angeles"))
        with pytest.raises(ValidationError) as err:
            services.commitment_report(
                user=organizer, commitment=c, held=True, turnout=40, now=before
            )
        assert "18:00" in err.value.messages[0] and "America/Los_Angeles" in err.value.messages[0]
        services.commitment_report(
            user=organizer, commitment=c, held=True, turnout=40, now=before + timedelta(minutes=1)
        )


def test_it_keeps_the_rollup_tallies_in_step_with_withdrawals(cast, member, organizer, places):
    from actions import selectors

    call = call_for(cast, member, places["us"])
    a = commit(call, cast.groups["oakland"], organizer)
    commit(call, cast.groups["portland"], organizer)
    services.commitment_withdraw(user=organizer, commitment=a)
    rollup = selectors.call_rollup(call)
    assert rollup.total == 1
    assert rollup.count(places["california"].pk) == 0
    assert rollup.count(places["oregon"].pk) == 1
    assert rollup.count(places["cascadia"].pk) == 1


def test_it_closes_expired_calls_from_the_command_line(cast, member, places):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command

    from actions.models import CallToAction

    call = call_for(cast, member, places["us"])
    CallToAction.objects.filter(pk=call.pk).update(deadline=call.deadline - timedelta(days=30))
    out = StringIO()
    call_command("actions", "tick", stdout=out)
    call.refresh_from_db()
    assert call.state == CallState.NOT_ENOUGH
    assert "not_enough: 1" in out.getvalue()
