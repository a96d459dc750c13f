"""Whom to meet at scale: p50/p95 of suggestions for a group and for a coalition.

    /work/main/.venv/bin/python bench/connections/bench_suggest.py [--organizations 1000000]
    DATABASE_URL=postgres://… /work/main/.venv/bin/python bench/connections/bench_suggest.py

Without DATABASE_URL it builds a fresh SQLite database in a temporary directory (or reuses
the one named by --db): one country of 50 states × 20 counties × 9 towns, `--organizations`
listings with one to three issue areas each (a twentieth of them crowded into one "big city"
county, so one neighbourhood holds tens of thousands), 10,000 coalitions nested four levels
deep (national → 50 state → 1,000 county → 8,949 town coalitions, the first 20 state ones with
5,000 members each), and 50,000 introduction ties between groups of the same county.

It calls `suggestions_for_group` and `suggestions_for_coalition` directly (what a page and the
million-row bench call), then the two pages through Django's request handler. Prints figures;
never passes or fails.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")


def _setup(db: str | None) -> None:
    if "DATABASE_URL" not in os.environ:
        os.environ["COMMONWEAL_VAR_DIR"] = db or tempfile.mkdtemp(prefix="suggest-bench-")
    import django

    django.setup()


STATES, COUNTIES, TOWNS = 50, 20, 9
BIG_SHARE = 0.05


def build_places() -> list:
    from places.models import Place, PlaceKind
    from places.services import place_tree_renumber

    world = Place.objects.create(kind=PlaceKind.WORLD, name="World", search_name="world", slug="w")
    country = Place.objects.create(
        kind=PlaceKind.COUNTRY, name="Benchland", search_name="benchland", slug="bl", parent=world
    )
    towns = []
    for s in range(STATES):
        state = Place.objects.create(
            kind=PlaceKind.STATE,
            name=f"State {s}",
            search_name=f"state {s}",
            slug=f"s{s}",
            parent=country,
            latitude=30 + s * 0.3,
            longitude=-120 + s,
        )
        counties = Place.objects.bulk_create(
            Place(
                kind=PlaceKind.COUNTY,
                name=f"County {s}-{c}",
                search_name=f"county {s}-{c}",
                slug=f"c{s}-{c}",
                parent=state,
                latitude=30 + s * 0.3,
                longitude=-120 + s + c * 0.3,
            )
            for c in range(COUNTIES)
        )
        for c, county in enumerate(counties):
            for t in range(TOWNS):
                towns.append(
                    Place(
                        kind=PlaceKind.LOCALITY,
                        name=f"Town {s}-{c}-{t}",
                        search_name=f"town {s}-{c}-{t}",
                        slug=f"t{s}-{c}-{t}",
                        parent=county,
                        latitude=30 + s * 0.3 + t * 0.05,
                        longitude=-120 + s + c * 0.3,
                    )
                )
    Place.objects.bulk_create(towns, batch_size=1000)
    place_tree_renumber()
    return list(Place.objects.filter(kind=PlaceKind.LOCALITY).order_by("lft"))


def build(organizations: int, seed: int) -> None:
    from django.utils import timezone

    from coalitions.models import CoalitionProfile, Membership, MembershipStatus
    from connections.models import Tie, TieKind
    from directory.models import Organization, OrganizationKind
    from directory.services import directory_touch
    from places.models import Place, PlaceKind

    rng = random.Random(seed)
    towns = build_places()
    big = towns[:TOWNS]  # the first county's towns: the crowded city
    t0 = time.perf_counter()
    for start in range(0, organizations, 10_000):
        batch = []
        for i in range(start, min(organizations, start + 10_000)):
            town = rng.choice(big) if rng.random() < BIG_SHARE else rng.choice(towns)
            mask = 0
            for _ in range(rng.randint(1, 3)):
                mask |= 1 << rng.randrange(25)
            batch.append(
                Organization(
                    name=f"Group {i:07d}",
                    slug=f"g{i}",
                    home_place_id=town.pk,
                    place_lft=town.lft,
                    latitude=town.latitude + rng.uniform(-0.05, 0.05),
                    longitude=town.longitude + rng.uniform(-0.05, 0.05),
                    issue_mask=mask,
                    languages=["en", "es"] if rng.random() < 0.1 else ["en"],
                )
            )
        Organization.objects.bulk_create(batch, batch_size=2000)
        if start % 200_000 == 0:
            print(
                f"  {start + len(batch):,} listings ({time.perf_counter() - t0:.0f} s)", flush=True
            )
    by_town: dict[int, list[int]] = {}
    for pk, lft in Organization.objects.values_list("pk", "place_lft").iterator(chunk_size=20_000):
        by_town.setdefault(lft, []).append(pk)
    print(f"  listings done ({time.perf_counter() - t0:.0f} s)", flush=True)

    now = timezone.now()
    active = MembershipStatus.ACTIVE

    def coalition(name: str, slug: str, place: Place, level: str) -> Organization:
        return Organization(
            name=name,
            slug=slug,
            kind=OrganizationKind.COALITION,
            home_place_id=place.pk,
            place_lft=place.lft,
            issue_mask=rng.getrandbits(25),
        )

    country = Place.objects.get(kind=PlaceKind.COUNTRY)
    states = list(Place.objects.filter(kind=PlaceKind.STATE).order_by("lft"))
    counties = list(Place.objects.filter(kind=PlaceKind.COUNTY).order_by("lft"))
    plan = [(country, "nation", "National network")]
    plan += [(p, "state", f"{p.name} network") for p in states]
    plan += [(p, "county", f"{p.name} coalition") for p in counties]
    plan += [(p, "city", f"{p.name} alliance") for p in towns[: 10_000 - len(plan)]]
    made = Organization.objects.bulk_create(
        [coalition(name, f"k{i}", place, level) for i, (place, level, name) in enumerate(plan)],
        batch_size=2000,
    )
    made = list(Organization.objects.filter(kind=OrganizationKind.COALITION).order_by("pk"))
    CoalitionProfile.objects.bulk_create(
        [
            CoalitionProfile(organization=org, level=level, span=place)
            for org, (place, level, _n) in zip(made, plan, strict=True)
        ],
        batch_size=2000,
    )
    by_place = {place.pk: org for org, (place, _l, _n) in zip(made, plan, strict=True)}
    links: list = []

    def join(coalition_org: Organization, member_ids: list[int]) -> None:
        links.extend(
            Membership(coalition_id=coalition_org.pk, member_id=m, status=active, decided_at=now)
            for m in member_ids
        )

    def inside(place: Place) -> list[int]:
        return [pk for lft, ids in by_town.items() if place.lft <= lft <= place.rgt for pk in ids]

    # The levels nest: each town coalition in its county's, each county's in its state's,
    # each state's in the national one.
    states_done = 0
    for org, (place, level, _n) in zip(made, plan, strict=True):
        if level == "city":
            join(by_place[place.parent_id], [org.pk])
            join(
                org,
                rng.sample(by_town.get(place.lft, []), min(20, len(by_town.get(place.lft, [])))),
            )
        elif level == "county":
            join(by_place[place.parent_id], [org.pk])
            pool = inside(place)
            join(org, rng.sample(pool, min(50, len(pool))))
        elif level == "state":
            join(made[0], [org.pk])
            states_done += 1
            if states_done <= 20:
                pool = inside(place)
                join(org, rng.sample(pool, min(5000, len(pool))))
    seen: set[tuple[int, int]] = set()
    unique = []
    for link in links:
        if (link.coalition_id, link.member_id) not in seen:
            seen.add((link.coalition_id, link.member_id))
            unique.append(link)
    Membership.objects.bulk_create(unique, batch_size=5000)
    print(f"  {len(unique):,} memberships ({time.perf_counter() - t0:.0f} s)", flush=True)
    county_pools = [inside(c) for c in counties[:200]]
    ties = set()
    while len(ties) < 50_000:
        pool = rng.choice(county_pools)
        if len(pool) < 2:
            continue
        a, b = sorted(rng.sample(pool, 2))
        ties.add((a, b))
    Tie.objects.bulk_create(
        [Tie(low_id=a, high_id=b, kind=TieKind.MET) for a, b in ties], batch_size=5000
    )
    directory_touch()
    print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def report(label: str, wall: list[float], cpu: list[float]) -> None:
    print(
        f"{label:<44} wall p50 {statistics.median(wall):6.1f} p95 {_p95(wall):6.1f} max "
        f"{max(wall):6.1f} ms   cpu p50 {statistics.median(cpu):6.1f} p95 {_p95(cpu):6.1f} ms   n={len(wall)}",
        flush=True,
    )


def timed(call, items: list) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    for item in items[:3]:
        call(item)
    wall, cpu = [], []
    for item in items:
        start, start_cpu = time.perf_counter(), time.process_time()
        call(item)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--organizations", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="directory of a SQLite database to reuse (COMMONWEAL_VAR_DIR)")
    args = parser.parse_args()
    _setup(args.db)

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from connections.selectors import suggestions_for_coalition, suggestions_for_group
    from directory.models import Organization, OrganizationKind
    from places.models import Place

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Organization.objects.filter(slug="g0").exists():
        with transaction.atomic():
            build(args.organizations, args.seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = User.objects.filter(email="bench@example.org").first() or User.objects.create_user(
        "bench@example.org",
        "bench-passphrase",
        is_site_coordinator=True,
        email_verified_at=timezone.now(),
    )
    rng = random.Random(args.seed)
    total = Organization.objects.count()
    print(
        f"{connection.vendor}: {total:,} listings, "
        f"{Organization.objects.filter(kind=OrganizationKind.COALITION).count():,} coalitions"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    n = args.requests
    top = Organization.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    picks = list(
        Organization.objects.filter(pk__in=[rng.randint(1, top) for _ in range(n * 2)]).exclude(
            kind=OrganizationKind.COALITION
        )[:n]
    )
    # Groups in the crowded county, whose neighbourhood holds tens of thousands of listings.
    county = Place.objects.filter(slug="c0-0").first()
    crowded = (
        list(
            Organization.objects.exclude(kind=OrganizationKind.COALITION)
            .filter(place_lft__gte=county.lft, place_lft__lte=county.rgt)
            .order_by("?")[: max(10, n // 4)]
        )
        if county
        else []
    )
    coalitions = list(
        Organization.objects.filter(kind=OrganizationKind.COALITION).order_by("?")[:n]
    )
    big = list(
        Organization.objects.filter(
            kind=OrganizationKind.COALITION, slug__in=[f"k{i}" for i in range(1, 21)]
        )
    )
    sizes = [len(suggestions_for_group(user, o).groups) for o in picks[:20]]
    print(f"suggested groups per group (first 20): {sizes}")
    report(
        "suggestions_for_group, random groups",
        *timed(lambda o: suggestions_for_group(user, o), picks),
    )
    if crowded:
        report(
            "suggestions_for_group, crowded county",
            *timed(lambda o: suggestions_for_group(user, o), crowded),
        )
    report(
        "suggestions_for_coalition, random",
        *timed(lambda o: suggestions_for_coalition(user, o), coalitions),
    )
    report(
        "suggestions_for_coalition, 5,000 members",
        *timed(lambda o: suggestions_for_coalition(user, o), big),
    )
    client = Client()
    client.force_login(user)
    report(
        "page /connections/groups/<slug>/",
        *timed(lambda o: client.get(f"/connections/groups/{o.slug}/"), picks[: n // 2]),
    )
    report(
        "page /connections/coalitions/<slug>/ (5,000)",
        *timed(lambda o: client.get(f"/connections/coalitions/{o.slug}/"), big),
    )


if __name__ == "__main__":
    main()
