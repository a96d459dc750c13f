"""Two hundred groups pledging to one request at once, on PostgreSQL: never more than asked
(unless the requester allows it) and totals exact."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from directory.models import Organization, OrganizationAdmin
from solidarity import services
from solidarity.models import Pledge, SupportRequest
from solidarity.tests.conftest import ask

GROUPS = 200
THREADS = 40


def _pledge_all(cast, req, amount):
    homes = [cast.places[k] for k in ["oakland", "portland", "nyc", "seattle", "eureka"]]
    orgs = Organization.objects.bulk_create(
        Organization(
            name=f"Group {i}",
            slug=f"group-{i}",
            home_place=homes[i % len(homes)],
            place_lft=homes[i % len(homes)].lft,
        )
        for i in range(GROUPS)
    )
    admin = cast.admins["oakland"]
    OrganizationAdmin.objects.bulk_create(
        OrganizationAdmin(organization=o, user=admin) for o in orgs
    )
    start = threading.Event()
    refused: list[ValidationError] = []
    errors: list[BaseException] = []

    def pledge(org: Organization) -> None:
        start.wait()
        try:
            services.pledge_make(user=admin, request=req, organization=org, amount=amount)
        except ValidationError as exc:
            refused.append(exc)
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(pledge, org) for org in orgs]
        start.set()
        for f in futures:
            f.result()
    return refused, errors


pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time, so there is no race to test; "
    "run with DATABASE_URL=postgres://… to exercise the row lock.",
)


@pg_only
@pytest.mark.django_db(transaction=True)
def test_200_groups_pledging_at_once_never_exceed_what_was_asked(cast, organizer):
    req = ask(cast, organizer, kind="money", quantity=Decimal(3000), currency="USD")
    refused, errors = _pledge_all(cast, req, Decimal("25.50"))
    assert errors == []
    req = SupportRequest.objects.get(pk=req.pk)
    taken = Pledge.objects.filter(request=req)
    # 117 × 25.50 = 2983.50 fits; the 118th would pass 3000.
    assert taken.count() == 117 and len(refused) == GROUPS - 117
    assert req.pledged == Decimal("2983.50") == taken.aggregate(s=Sum("amount"))["s"]
    assert req.pledge_count == 117


@pg_only
@pytest.mark.django_db(transaction=True)
def test_200_groups_pledging_at_once_keep_exact_totals_when_more_is_welcome(cast, organizer):
    req = ask(cast, organizer, quantity=Decimal(40), allow_over=True)
    refused, errors = _pledge_all(cast, req, Decimal(3))
    assert errors == [] and refused == []
    req = SupportRequest.objects.get(pk=req.pk)
    assert req.pledged == Decimal(600) and req.pledge_count == GROUPS
    assert Pledge.objects.filter(request=req).aggregate(s=Sum("amount"))["s"] == Decimal(600)
