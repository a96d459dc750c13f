"""A coalition's page with 5,000 member groups: p50/p95 of the page and of its map points.

    /work/main/.venv/bin/python bench/coalitions/bench_page.py [--members 5000] [--requests 60]
    DATABASE_URL=postgres://… /work/main/.venv/bin/python bench/coalitions/bench_page.py

Without DATABASE_URL it builds a fresh SQLite database in a temporary directory: a small place
tree (one country, 50 states, 20 counties each, three towns per county), 5,000 groups spread
over the towns with one to three issue areas each (and 200,000 other listings in no coalition),
the 5,000 all active members of one national coalition that belongs to two wider ones and has three state coalitions inside it. The national coalition works on six issues
(six clusters, with housing ↔ transportation and climate ↔ transportation cross-linked); 300
members chose to join or leave a cluster by hand and two groups lead each cluster. Requests go
through Django's request handler (the test client), so the figures are the view, the queries
and the template, without network. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:
    os.environ["COMMONWEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="coalition-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
# The test client's host, and no secure-cookie redirects.
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from coalitions.models import (  # noqa: E402
    ClusterChoice,
    ClusterLead,
    CoalitionProfile,
    LeadStatus,
    Membership,
    MembershipStatus,
)
from directory.models import IssueArea, Organization, OrganizationKind  # noqa: E402
from directory.services import directory_touch, issue_mask_of  # noqa: E402
from places.models import Place, PlaceKind  # noqa: E402
from places.services import place_tree_renumber  # noqa: E402


def build_places() -> tuple[Place, list[Place]]:
    world = Place.objects.create(kind=PlaceKind.WORLD, name="World", search_name="world", slug="w")
    country = Place.objects.create(
        kind=PlaceKind.COUNTRY, name="Benchland", search_name="benchland", slug="bl", parent=world
    )
    towns: list[Place] = []
    for s in range(50):
        state = Place.objects.create(
            kind=PlaceKind.STATE,
            name=f"State {s}",
            search_name=f"state {s}",
            slug=f"s{s}",
            parent=country,
            latitude=30 + s * 0.3,
            longitude=-120 + s,
        )
        for c in range(20):
            county = Place.objects.create(
                kind=PlaceKind.COUNTY,
                name=f"County {s}-{c}",
                search_name=f"county {s}-{c}",
                slug=f"c{s}-{c}",
                parent=state,
            )
            for t in range(3):
                towns.append(
                    Place(
                        kind=PlaceKind.LOCALITY,
                        name=f"Town {s}-{c}-{t}",
                        search_name=f"town {s}-{c}-{t}",
                        slug=f"t{s}-{c}-{t}",
                        parent=county,
                        latitude=30 + s * 0.3 + t * 0.01,
                        longitude=-120 + s + c * 0.02,
                    )
                )
    Place.objects.bulk_create(towns)
    place_tree_renumber()
    return country, list(Place.objects.filter(kind=PlaceKind.LOCALITY))


def coalition(name: str, slug: str, place: Place | None, level: str) -> Organization:
    org = Organization.objects.create(
        name=name,
        slug=slug,
        kind=OrganizationKind.COALITION,
        home_place=place,
        place_lft=place.lft if place else None,
    )
    CoalitionProfile.objects.create(organization=org, level=level, span=place)
    return org


def build(members: int, others: int, seed: int) -> Organization:
    rng = random.Random(seed)
    country, towns = build_places()
    areas = list(IssueArea.objects.all())
    # Leave a fifth of the states without any member, so the page has gaps to list.
    towns = [t for t in towns if int(t.slug[1:].split("-")[0]) % 5]
    national = coalition("Benchland Alliance", "benchland-alliance", country, "nation")
    groups = []
    for i in range(members):
        town = rng.choice(towns)
        groups.append(
            Organization(
                name=f"Group {i:05d}",
                slug=f"group-{i}",
                home_place=town,
                place_lft=town.lft,
                latitude=town.latitude,
                longitude=town.longitude,
            )
        )
    Organization.objects.bulk_create(groups, batch_size=1000)
    groups = list(Organization.objects.filter(slug__startswith="group-"))
    # Listings in no coalition, so that reading the members has to pick them out of many.
    for start in range(0, others, 10_000):
        batch = []
        for i in range(start, min(others, start + 10_000)):
            town = rng.choice(towns)
            batch.append(
                Organization(
                    name=f"Other {i:07d}",
                    slug=f"other-{i}",
                    home_place=town,
                    place_lft=town.lft,
                    issue_mask=1 << rng.randrange(20),
                )
            )
        Organization.objects.bulk_create(batch, batch_size=2000)
    through = Organization.issue_areas.through
    links = []
    for org in groups:
        chosen = rng.sample(areas, rng.randint(1, 3))
        org.issue_mask = issue_mask_of(chosen)
        links += [through(organization_id=org.pk, issuearea_id=a.pk) for a in chosen]
    Organization.objects.bulk_update(groups, ["issue_mask"], batch_size=1000)
    through.objects.bulk_create(links, batch_size=2000)
    now = timezone.now()
    active = MembershipStatus.ACTIVE
    Membership.objects.bulk_create(
        [Membership(coalition=national, member=g, status=active, decided_at=now) for g in groups],
        batch_size=1000,
    )
    for i in range(2):
        wider = coalition(f"World Network {i}", f"world-network-{i}", None, "world")
        Membership.objects.create(coalition=wider, member=national, status=active)
    states = list(Place.objects.filter(kind=PlaceKind.STATE)[:3])
    for i, state in enumerate(states):
        inner = coalition(f"State Coalition {i}", f"state-coalition-{i}", state, "state")
        Membership.objects.create(coalition=national, member=inner, status=active)
    directory_touch()
    return national


CLUSTER_ISSUES = ["housing", "transportation", "climate", "health", "criminal-justice", "labor"]


def add_clusters(national: Organization, seed: int) -> None:
    """Give the national coalition its issues, some members' own cluster choices and two lead
    groups per cluster (once: a PostgreSQL database built earlier gets them on its next run)."""
    if national.issue_areas.exists():
        return
    rng = random.Random(seed)
    areas = list(IssueArea.objects.filter(slug__in=CLUSTER_ISSUES))
    national.issue_areas.set(areas)
    national.issue_mask = issue_mask_of(areas)
    national.save(update_fields=["issue_mask"])
    groups = list(Organization.objects.filter(slug__startswith="group-").order_by("pk"))
    ClusterChoice.objects.bulk_create(
        [
            ClusterChoice(
                coalition=national, member=g, issue=rng.choice(areas), joined=rng.random() < 0.5
            )
            for g in rng.sample(groups, 300)
        ],
        ignore_conflicts=True,
    )
    leads = []
    for a in areas:
        bit = 1 << a.bit
        tagged = [g for g in groups if g.issue_mask & bit][:2]
        leads += [
            ClusterLead(coalition=national, issue=a, organization=g, status=LeadStatus.CONFIRMED)
            for g in tagged
        ]
    ClusterLead.objects.bulk_create(leads, ignore_conflicts=True)


def timed(client: Client, url: str, n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of `n` requests. On a shared machine the CPU time of
    this process says what a request costs when it does not wait for a core; with SQLite it
    includes the database's work, with PostgreSQL only the web side."""
    for _ in range(3):
        assert client.get(url).status_code == 200
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, response.status_code
    return wall, cpu


def show_queries(client: Client, url: str) -> None:
    spent: list[tuple[float, str]] = []

    def clock(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(((time.perf_counter() - start) * 1000, sql))

    client.get(url)
    with connection.execute_wrapper(clock):
        client.get(url)
    for ms, sql in sorted(spent, reverse=True)[:8]:
        print(f"  {ms:7.1f} ms  {sql[:160]}")
    print(f"  {len(spent)} queries, {sum(ms for ms, _ in spent):.1f} ms in the database")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def report(label: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(
        f"{label:<36} wall p50 {statistics.median(wall):6.1f} p95 {_p95(wall):6.1f} ms"
        f"   cpu p50 {statistics.median(cpu):6.1f} p95 {_p95(cpu):6.1f} ms   n={len(wall)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--others", type=int, default=200_000, help="listings that belong to no coalition"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--queries", action="store_true", help="also print each query of one page view and its time"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    # Pages name their stylesheets through the hashed-file manifest, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)
    national = Organization.objects.filter(slug="benchland-alliance").first()
    if national is None:
        with transaction.atomic():
            national = build(args.members, args.others, args.seed)
    with transaction.atomic():
        add_clusters(national, args.seed)
    if connection.vendor == "postgresql":
        # Fresh tables have no statistics until autovacuum comes by; a live hub has them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    count = Membership.objects.filter(coalition=national, status="active").count()
    listings = Organization.objects.count()
    print(
        f"{connection.vendor}: coalition with {count:,} active members among {listings:,} listings"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    client = Client()
    base = f"/coalitions/{national.slug}/"
    if args.queries:
        show_queries(client, base)
    report("coalition page, first members page", timed(client, base, args.requests))
    report("coalition page, members page 60", timed(client, base + "?page=60", args.requests))
    report("members' map points (JSON)", timed(client, base + "members.json", args.requests))
    cluster = base + "clusters/housing/"
    if args.queries:
        show_queries(client, cluster)
    report("housing cluster page", timed(client, cluster, args.requests))


if __name__ == "__main__":
    main()
