"""Support between groups at scale: 100,000 open requests and 50,000 offers over sample groups
in the world's real places. Prints figures; never passes or fails.

    /work/main/.venv/bin/python bench/solidarity/bench.py [--requests 100000] [--offers 50000]
    bench/pg.sh -- /work/main/.venv/bin/python bench/solidarity/bench.py

Without DATABASE_URL it uses SQLite under var/bench-solidarity/ (kept, so a second run skips
loading places and building rows). It loads the world's places if missing, adds `--groups`
sample listings with their coalitions (`directory.sample`), then bulk-writes the requests (80%
public, 15% for coalitions, 5% named; 3% sensitive), the offers (a third of them from anywhere,
the rest over the group's state or home), and one national campaign with `--pledges` pledges
from groups all over the world. Pages go through Django's request handler (the test client),
so a figure is the view, its queries and its template, without network:

- matches: /solidarity/matches/?organization=… for groups that have offers, as their admin;
- unmatched: /solidarity/unmatched/ as the regional coordinator of a busy US state;
- rollup: /solidarity/campaigns/<slug>/?level=state|country|county, recounted from the
  pledges (as after any pledge changed) and unchanged (the per-process roll-up kept).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:
    os.environ.setdefault("COMMONWEAL_VAR_DIR", str(ROOT / "var" / "bench-solidarity"))
    Path(os.environ["COMMONWEAL_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import RegionalCoordinator, User  # noqa: E402
from directory.models import IssueArea, Organization, OrganizationAdmin  # noqa: E402
from places.models import Place, PlaceKind  # noqa: E402
from solidarity.models import (  # noqa: E402
    NO_DATE,
    Campaign,
    Kind,
    Pledge,
    PledgeState,
    SupportOffer,
    SupportRequest,
    Visibility,
)


def say(*parts: object) -> None:
    print(*parts, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def prepare(groups: int) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    # Pages name their static files through the manifest, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Place.objects.exists():
        say("loading the world's places…")
        call_command("places", "load", verbosity=0)
    have = Organization.objects.filter(is_sample=True).count()
    if have < groups:
        from directory.sample import sample_create

        say(f"adding {groups - have:,} sample groups with their coalitions…")
        sample_create(organizations=groups - have, seed=14)


def build(requests: int, offers: int, pledges: int, rng: random.Random) -> Campaign:
    if (
        SupportRequest.objects.count() >= requests
        and SupportOffer.objects.count() >= offers
        and Pledge.objects.filter(campaign__slug="bench-campaign").exists()
        and not SupportRequest.objects.filter(due_on=NO_DATE, needed_by__isnull=False).exists()
    ):
        campaign = Campaign.objects.get(slug="bench-campaign")
        return campaign
    say("writing requests, offers and the campaign…")
    SupportRequest.objects.all().delete()
    SupportOffer.objects.all().delete()
    Campaign.objects.all().delete()
    orgs = list(
        Organization.objects.filter(is_sample=True)
        .exclude(home_place=None)
        .values_list(
            "id",
            "home_place_id",
            "home_place__lft",
            "home_place__rgt",
            "home_place__parent__parent_id",
        )
    )
    states = dict(Place.objects.filter(kind=PlaceKind.STATE).values_list("id", "lft"))
    state_rgt = dict(Place.objects.filter(kind=PlaceKind.STATE).values_list("id", "rgt"))
    areas = list(IssueArea.objects.values_list("id", flat=True))
    kinds = Kind.values
    today = timezone.localdate()
    coalition = Organization.objects.filter(kind="coalition", is_sample=True).first()
    assert coalition is not None
    us = Place.objects.get(kind=PlaceKind.COUNTRY, iso_code="US")
    campaign = Campaign.objects.create(
        coalition=coalition,
        title="Bench campaign",
        slug="bench-campaign",
        kind=Kind.MONEY,
        target=Decimal(10_000_000),
        currency="USD",
        scope=Place.objects.get(kind=PlaceKind.WORLD),
    )
    batch = []
    for i in range(requests):
        org_id, place_id, lft, rgt, _state = rng.choice(orgs)
        vis = rng.choices(
            [Visibility.PUBLIC, Visibility.COALITIONS, Visibility.NAMED], [80, 15, 5]
        )[0]
        batch.append(
            SupportRequest(
                organization_id=org_id,
                title=f"Need {i}",
                kind=rng.choice(kinds),
                quantity=Decimal(rng.randint(1, 5000)),
                currency="USD",
                place_id=place_id,
                place_lft=lft,
                place_rgt=rgt,
                remote=rng.random() < 0.1,
                issue_area_id=rng.choice(areas) if rng.random() < 0.7 else None,
                needed_by=today + timedelta(days=rng.randint(0, 90))
                if rng.random() < 0.8
                else None,
                urgency=rng.randint(1, 3),
                visibility=vis,
                sensitive=vis != Visibility.PUBLIC and rng.random() < 0.2,
                allow_over=True,
                campaign=campaign if i < 2000 else None,
            )
        )
    for req in batch:
        req.due_on = req.needed_by or NO_DATE
    SupportRequest.objects.bulk_create(batch, batch_size=5000)
    batch_o = []
    for i in range(offers):
        org_id, place_id, lft, rgt, state = rng.choice(orgs)
        remote = rng.random() < 0.33
        if not remote and state in states and rng.random() < 0.5:
            place_id, lft, rgt = state, states[state], state_rgt[state]
        batch_o.append(
            SupportOffer(
                organization_id=org_id,
                title=f"Offer {i}",
                kind=rng.choice(kinds),
                place_id=None if remote else place_id,
                place_lft=None if remote else lft,
                place_rgt=None if remote else rgt,
                remote=remote,
                issue_area_id=rng.choice(areas) if rng.random() < 0.5 else None,
            )
        )
    SupportOffer.objects.bulk_create(batch_o, batch_size=5000)
    in_campaign = list(
        SupportRequest.objects.filter(campaign=campaign).values_list("id", flat=True)
    )
    states_cycle = [
        PledgeState.PLEDGED,
        PledgeState.DELIVERED,
        PledgeState.CONFIRMED,
        PledgeState.PARTIAL,
        PledgeState.COULD_NOT,
    ]
    batch_p = []
    for _ in range(pledges):
        org_id, _place, lft, _rgt, _state = rng.choice(orgs)
        state = rng.choice(states_cycle)
        amount = Decimal(rng.randint(5, 500))
        batch_p.append(
            Pledge(
                request_id=rng.choice(in_campaign),
                campaign=campaign,
                organization_id=org_id,
                amount=amount,
                state=state,
                place_lft=lft,
                received_amount=amount
                if state == PledgeState.CONFIRMED
                else (amount / 2 if state == PledgeState.PARTIAL else None),
                settled_at=timezone.now(),
            )
        )
    Pledge.objects.bulk_create(batch_p, batch_size=5000)
    say(
        f"  US groups: {Organization.objects.filter(place_lft__gte=us.lft, place_lft__lte=us.rgt).count():,}"
    )
    return campaign


def admin_client(org_id: int) -> Client:
    user, _ = User.objects.get_or_create(email=f"bench-admin-{org_id}@example.test")
    OrganizationAdmin.objects.get_or_create(organization_id=org_id, user=user)
    client = Client()
    client.force_login(user)
    return client


# CPU time of this process per request, beside the wall time: on a machine shared with other
# people's work the wall time mostly measures the wait for a core. (On PostgreSQL the
# database's own work is in its server process and shows in the wall time only.)
CPU: dict[str, list[float]] = {}


def timed(client: Client, url: str, row: str = "") -> float:
    start, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    took = (time.perf_counter() - start) * 1000
    CPU.setdefault(row, []).append((time.process_time() - cpu) * 1000)
    assert response.status_code == 200, (url, response.status_code)
    return took


def report(name: str, values: list[float], row: str = "") -> None:
    flag = " *" if pct(values, 95) > 100 else ""
    cpu = CPU.get(row, [0.0])
    say(
        f"{name:<28} n={len(values):>4}  p50 {statistics.median(values):7.1f} ms  "
        f"p95 {pct(values, 95):7.1f} ms  max {max(values):7.1f} ms{flag}  "
        f"| cpu p50 {statistics.median(cpu):6.1f} p95 {pct(cpu, 95):6.1f} ms  "
        f"| load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--pledges", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(14)
    started = time.perf_counter()
    prepare(args.groups)
    with transaction.atomic():
        campaign = build(args.requests, args.offers, args.pledges, rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    say(
        f"{connection.vendor}: {SupportRequest.objects.filter(state='open').count():,} open requests, "
        f"{SupportOffer.objects.count():,} offers, {Pledge.objects.count():,} campaign pledges "
        f"(ready in {time.perf_counter() - started:.0f} s)"
    )

    with_offers = list(
        SupportOffer.objects.values_list("organization_id", flat=True).distinct()[:5000]
    )
    picks = rng.sample(with_offers, min(args.samples, len(with_offers)))
    clients = [(org_id, admin_client(org_id)) for org_id in picks]
    matches = []
    for org_id, client in clients:
        client.get(f"/solidarity/matches/?organization={org_id}")  # warm the session
    for org_id, client in clients:
        matches.append(timed(client, f"/solidarity/matches/?organization={org_id}", "matches"))

    us = Place.objects.get(kind=PlaceKind.COUNTRY, iso_code="US")
    busy = sorted(
        Place.objects.filter(kind=PlaceKind.STATE, parent=us),
        key=lambda s: (
            -SupportRequest.objects.filter(place_lft__gte=s.lft, place_lft__lte=s.rgt).count()
        ),
    )[:5]
    unmatched = []
    for state in busy:
        user, _ = User.objects.get_or_create(email=f"bench-rc-{state.pk}@example.test")
        RegionalCoordinator.objects.get_or_create(user=user, place=state)
        client = Client()
        client.force_login(user)
        client.get("/solidarity/unmatched/")
        for page in range(1, args.samples // len(busy) + 1):
            unmatched.append(
                timed(client, f"/solidarity/unmatched/?page={1 + page % 5}", "unmatched")
            )

    from solidarity import selectors

    rollups, recounts = [], []
    client = Client()
    levels = ["state", "country", "county"]
    client.get(f"/solidarity/campaigns/{campaign.slug}/")
    for i in range(args.samples):
        # Recounted from the pledges (as after every pledge), then as kept until the next one.
        selectors._rollups.clear()
        url = f"/solidarity/campaigns/{campaign.slug}/?level={levels[i % 3]}"
        recounts.append(timed(client, url, "recount"))
        rollups.append(timed(client, url, "kept"))

    say(f"busiest states for the coordinator page: {', '.join(s.name for s in busy)}")
    report("a group's matches (page)", matches, "matches")
    report("coordinator's unmatched page", unmatched, "unmatched")
    report("campaign page, recounted", recounts, "recount")
    report("campaign page, unchanged", rollups, "kept")


if __name__ == "__main__":
    main()
