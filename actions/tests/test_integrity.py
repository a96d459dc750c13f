"""Many commitments to one call at once, on PostgreSQL: exact counts and one go transition."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.db.models import Sum

from accounts.models import AuditEvent
from actions import selectors, services
from actions.models import (
    Alert,
    AlertKind,
    CallState,
    CallToAction,
    Commitment,
    PlaceTally,
    TallyChange,
)
from actions.tests.conftest import call_for
from directory.models import Organization, OrganizationAdmin

REQUESTS = 200
DISTINCT = 180  # the other 20 requests repeat an organization that already asked
THREADS = 40


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time, so there is no race to test; "
    "run with DATABASE_URL=postgres://… to exercise the row lock.",
)
@pytest.mark.django_db(transaction=True)
def test_it_counts_200_concurrent_commitments_exactly_and_goes_once(
    cast, member, organizer, places
):
    homes = [places[k] for k in ["oakland", "berkeley", "eureka", "portland", "seattle", "nyc"]]
    orgs = Organization.objects.bulk_create(
        Organization(
            name=f"Group {i}",
            slug=f"group-{i}",
            home_place=homes[i % len(homes)],
            place_lft=homes[i % len(homes)].lft,
        )
        for i in range(DISTINCT)
    )
    OrganizationAdmin.objects.bulk_create(
        OrganizationAdmin(organization=o, user=organizer) for o in orgs
    )
    call = call_for(
        cast, member, places["us"], min_organizations=150, place_level="state", min_places=3
    )
    requests = orgs + orgs[: REQUESTS - DISTINCT]
    start = threading.Event()
    errors: list[BaseException] = []

    def commit(org: Organization) -> None:
        start.wait()
        try:
            services.commitment_make(
                user=organizer, call=call, organization=org, expected_turnout=2
            )
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)
        finally:
            connections.close_all()

    done = threading.Event()
    reads: list[int] = []

    def read_rollup() -> None:
        """Keeps the cached roll-up catching up while the commitments land."""
        start.wait()
        try:
            while not done.is_set():
                reads.append(selectors.call_rollup(CallToAction(pk=call.pk)).total)
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)
        finally:
            connections.close_all()

    reader = threading.Thread(target=read_rollup)
    reader.start()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(commit, org) for org in requests]
        start.set()
        for f in futures:
            f.result()
    done.set()
    reader.join()

    assert errors == []
    assert reads == sorted(reads)  # a reader never sees the counts go back
    followed = selectors.call_rollup(CallToAction(pk=call.pk))
    selectors._live.clear()
    recounted = selectors.call_rollup(CallToAction(pk=call.pk))
    assert followed.total == recounted.total == DISTINCT
    assert followed.counts == recounted.counts
    assert TallyChange.objects.filter(call_id=call.pk).count() == DISTINCT
    call = CallToAction.objects.get(pk=call.pk)
    assert call.state == CallState.GO
    assert Commitment.objects.filter(call=call).count() == DISTINCT
    assert call.active_count == DISTINCT
    assert call.expected_turnout == 2 * DISTINCT
    assert PlaceTally.objects.filter(call=call).aggregate(n=Sum("active"))["n"] == DISTINCT
    assert call.places_met == 4  # California, Oregon, Washington, New York
    assert AuditEvent.objects.filter(action="call.go", target_id=str(call.pk)).count() == 1
    assert Alert.objects.filter(call=call, kind=AlertKind.NOTICE).count() == 1
