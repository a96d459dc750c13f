"""A cached roll-up follows commitments step by step and stays equal to a full recount."""

import json
import random

import pytest

from actions import selectors, services
from actions.models import CallToAction, Commitment, TallyChange
from actions.tests.conftest import call_for
from directory.models import Organization, OrganizationAdmin

pytestmark = pytest.mark.django_db


def recounted(call):
    """The roll-up as a fresh process would compute it, leaving the cache as it was."""
    kept = dict(selectors._live)
    selectors._live.clear()
    try:
        return json.loads(selectors.rollup_json(call)), dict(selectors.call_rollup(call).counts)
    finally:
        selectors._live.clear()
        selectors._live.update(kept)


def cached(call):
    return json.loads(selectors.rollup_json(call)), dict(selectors.call_rollup(call).counts)


@pytest.fixture
def many_groups(cast, organizer, places):
    homes = ["oakland", "berkeley", "eureka", "portland", "seattle", "nyc", "vancouver"]
    orgs = Organization.objects.bulk_create(
        Organization(
            name=f"Group {i}",
            slug=f"rollup-group-{i}",
            home_place=places[homes[i % len(homes)]],
            place_lft=places[homes[i % len(homes)]].lft,
        )
        for i in range(30)
    )
    OrganizationAdmin.objects.bulk_create(
        OrganizationAdmin(organization=o, user=organizer) for o in orgs
    )
    return orgs


def test_it_stays_exact_through_random_commitments_and_withdrawals(
    cast, member, organizer, places, many_groups
):
    call = call_for(cast, member, places["world"], min_organizations=1000)
    rng = random.Random(4)
    active: dict[int, Commitment] = {}
    cached(call)
    for step in range(120):
        org = rng.choice(many_groups)
        if org.pk in active:
            services.commitment_withdraw(user=organizer, commitment=active.pop(org.pk))
        else:
            active[org.pk] = services.commitment_make(user=organizer, call=call, organization=org)
        # Sometimes several steps pass between reads, so a catch-up applies more than one.
        if step % 3 == 0 or rng.random() < 0.3:
            assert cached(call) == recounted(call)
    final, counts = cached(call)
    assert (final, counts) == recounted(call)
    assert final["total"] == len(active)
    assert counts.get(places["world"].pk, 0) == len(active)


def test_it_catches_up_from_logged_steps_without_a_recount(
    cast, member, organizer, places, monkeypatch
):
    call = call_for(cast, member, places["us"])
    services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
    cached(call)

    def no_recount(call_id):
        raise AssertionError("recounted instead of applying the logged steps")

    monkeypatch.setattr(selectors, "_tallies", no_recount)
    services.commitment_make(user=organizer, call=call, organization=cast.groups["portland"])
    data, counts = cached(call)
    assert data["total"] == 2
    assert data["counts"]["state"] == {places["california"].slug: 1, places["oregon"].slug: 1}
    assert counts[places["cascadia"].pk] == 1


def test_it_recounts_when_a_step_is_missing(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
    cached(call)
    services.commitment_make(user=organizer, call=call, organization=cast.groups["seattle"])
    services.commitment_make(user=organizer, call=call, organization=cast.groups["nyc"])
    # As if the log had been pruned past what this process last saw.
    TallyChange.objects.filter(call=call, tally_version=2).delete()
    data, _ = cached(call)
    assert data["total"] == 3
    assert (data, _) == recounted(call)


def test_it_recounts_after_the_tallies_are_rebuilt(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    c = services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
    cached(call)
    services.commitment_withdraw(user=organizer, commitment=c)
    services.call_tallies_rebuild(CallToAction.objects.get(pk=call.pk))
    data, counts = cached(call)
    assert data["total"] == 0 and data["counts"] == {}
    assert counts == {}


def test_it_logs_one_step_per_change_under_the_call_lock(cast, member, organizer, places):
    call = call_for(cast, member, places["us"])
    a = services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
    services.commitment_make(user=organizer, call=call, organization=cast.groups["oakland"])
    services.commitment_withdraw(user=organizer, commitment=a)
    call.refresh_from_db()
    steps = list(
        TallyChange.objects.filter(call=call)
        .order_by("tally_version")
        .values_list("tally_version", "place_lft", "delta")
    )
    # Changing an existing commitment's event details moves no tally.
    lft = places["oakland"].lft
    assert steps == [(1, lft, 1), (2, lft, -1)]
    assert call.tally_version == 2
