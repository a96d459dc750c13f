"""The bird's-eye page at a million listings: the rebuild's time and memory, then p50/p95 of
the page for the world, a country, a state, a city and a bioregion.

Run against a prepared database (the hub's own settings decide which), e.g.:

    COMMONWEAL_VAR_DIR=/tmp/big python manage.py places load
    COMMONWEAL_VAR_DIR=/tmp/big python manage.py sample --organizations 1000000 --coalitions 10000
    COMMONWEAL_VAR_DIR=/tmp/big python bench/overview/bench_page.py --service-areas 20000

`--service-areas N` first gives N sample groups two to five nearby towns to serve, and
`--cross-members N` N member groups a second coalition in their state (once; both are kept). Requests go through Django's request handler (the test client): the view, its
queries and the template, without network. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from directory.models import Organization  # noqa: E402
from overview.selectors import overview_for_place  # noqa: E402
from overview.services import overview_rebuild  # noqa: E402
from places.models import Place, PlaceKind  # noqa: E402


def add_service_areas(n: int) -> None:
    through = Organization.service_areas.through
    if through.objects.exists():
        print(f"service areas already set: {through.objects.count():,} rows")
        return
    rng = random.Random(12)
    towns: dict[int, list[int]] = {}
    for pk, parent in Place.objects.filter(kind=PlaceKind.LOCALITY).values_list("id", "parent_id"):
        towns.setdefault(parent, []).append(pk)
    lft_to_parent = dict(
        Place.objects.filter(kind=PlaceKind.LOCALITY).values_list("lft", "parent_id")
    )
    rows = []
    picked = (
        Organization.objects.filter(is_sample=True, place_lft__isnull=False)
        .exclude(kind="coalition")
        .values_list("id", "place_lft")
        .order_by("?")[:n]
    )
    for org, lft in picked:
        nearby = towns.get(lft_to_parent.get(lft, -1), [])
        for town in rng.sample(nearby, min(len(nearby), rng.randint(2, 5))):
            rows.append(through(organization_id=org, place_id=town))
    with transaction.atomic():
        through.objects.bulk_create(rows, batch_size=5000)
    print(f"service areas: {len(rows):,} rows for {n:,} groups")


def add_cross_members(n: int) -> None:
    """Sample groups belong to one city coalition each, which makes no bridges at all: give N
    of them a second coalition in the same state, as groups that work across towns do."""
    from coalitions.models import Membership, MembershipStatus

    if Membership.objects.filter(message="bench: second coalition").exists():
        print("cross memberships already added")
        return
    rng = random.Random(7)
    state_of: dict[int, int] = {}
    for pk, lft in Place.objects.filter(kind=PlaceKind.STATE).values_list("id", "lft"):
        state_of[lft] = pk
    states = sorted(state_of)
    import bisect

    def state(lft: int | None) -> int | None:
        if lft is None:
            return None
        i = bisect.bisect_right(states, lft) - 1
        return state_of[states[i]] if i >= 0 else None

    by_state: dict[int, list[int]] = {}
    coalition_lft = dict(
        Organization.objects.filter(kind="coalition").values_list("id", "place_lft")
    )
    for pk, lft in coalition_lft.items():
        s = state(lft)
        if s is not None:
            by_state.setdefault(s, []).append(pk)
    links = list(
        Membership.objects.filter(status=MembershipStatus.ACTIVE)
        .exclude(member__kind="coalition")
        .values_list("coalition_id", "member_id")
    )
    rng.shuffle(links)
    have = set(links)
    made = []
    for coalition, member in links:
        if len(made) >= n:
            break
        others = [
            c for c in by_state.get(state(coalition_lft.get(coalition)), []) if c != coalition
        ]
        if not others:
            continue
        other = rng.choice(others)
        if (other, member) in have:
            continue
        have.add((other, member))
        made.append(
            Membership(
                coalition_id=other,
                member_id=member,
                status=MembershipStatus.ACTIVE,
                message="bench: second coalition",
            )
        )
    Membership.objects.bulk_create(made, batch_size=5000)
    print(f"cross memberships: {len(made):,} groups joined a second coalition in their state")


def timed(client: Client, url: str, requests: int, cold: bool) -> tuple[float, float, int]:
    """Warm: the web process already holds this page's parts from the current build. Cold:
    it does not (the first view of each place after every rebuild)."""
    from overview import views

    times = []
    size = 0
    for _ in range(requests):
        if cold:
            views._parts.clear()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service-areas", type=int, default=0)
    parser.add_argument("--cross-members", type=int, default=0)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-rebuild", action="store_true")
    args = parser.parse_args()
    print(f"database: {connection.vendor}, {Organization.objects.count():,} listings")
    if args.service_areas:
        add_service_areas(args.service_areas)
    if args.cross_members:
        add_cross_members(args.cross_members)
    if not args.no_rebuild:
        start = time.perf_counter()
        build = overview_rebuild()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"rebuild: {time.perf_counter() - start:.1f} s, {build.places:,} places with "
            f"figures, peak memory of this process {peak:.0f} MB"
        )
    us = Place.objects.get(kind=PlaceKind.COUNTRY, iso_code="US")
    oregon = Place.objects.get(kind=PlaceKind.STATE, iso_code="US-OR")
    portland = (
        Place.objects.filter(
            kind=PlaceKind.LOCALITY, name="Portland", lft__gt=oregon.lft, rgt__lt=oregon.rgt
        )
        .order_by("-population")
        .first()
    )
    targets = [
        ("world", Place.objects.get(kind=PlaceKind.WORLD)),
        ("country (United States)", us),
        ("state (Oregon)", oregon),
        ("state (Oregon), housing map", oregon),
        ("county (Multnomah)", portland.parent if portland else oregon),
        ("city (Portland)", portland),
    ]
    cascadia = Place.objects.filter(kind=PlaceKind.BIOREGION, name="Cascadia").first()
    if cascadia is not None:
        targets.append(("bioregion (Cascadia)", cascadia))
    # The pages name their static files through the manifest, which collectstatic writes.
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()
    print(
        f"{'page':34} {'rows':>5} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9} {'KB':>6}"
    )
    for label, place in targets:
        if place is None:
            continue
        url = f"/overview/{place.slug}/" + ("?issue=housing" if "housing" in label else "")
        client.get(url)  # the first request warms per-process caches (issue areas, URLs)
        c50, c95, size = timed(client, url, args.requests, cold=True)
        w50, w95, size = timed(client, url, args.requests, cold=False)
        rows = len(overview_for_place(place).rows)
        print(
            f"{label:34} {rows:>5} {c50:>9.1f} {c95:>9.1f} {w50:>9.1f} {w95:>9.1f} "
            f"{size / 1024:>6.0f}"
        )
    start = time.perf_counter()
    for _label, place in targets:
        if place is not None:
            overview_for_place(place)
    print(
        f"selector alone, all {len(targets)} places once: {(time.perf_counter() - start) * 1000:.0f} ms"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
