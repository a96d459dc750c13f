"""What service areas cost the directory: search by place, place counts and the map.

    .venv/bin/python bench/directory/service_areas.py --organizations 100000

Uses its own SQLite file (var/bench/service-areas.sqlite3), filled like bench/run_bench.py
(the world's places, then sample listings), and gives 2% of the listings a DSA-like service
area: 40 towns of their own country. Then, in-process (no HTTP), for the busiest countries and
states and every region:

- search by place as it was (the listings based there: count and first page), and the
  look-up of groups serving the place from elsewhere that it now adds;
- the query plan of that look-up (it must start from an index, never scan a table);
- the place page's roll-up of serving counts over a country's states;
- building the map's served-places index, and answering the world and a city view.

Prints p50/p95/max in ms. Figures, never pass or fail.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def timed(fn, repeat: int = 1) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"  {label:<44} n={len(times):<4} p50 {statistics.median(times):7.2f}  "
        f"p95 {p95:7.2f}  max {times[-1]:7.2f} ms",
        flush=True,
    )


def add_service_areas(share: float, towns: int, seed: int) -> int:
    from django.db import transaction

    from directory.models import Organization
    from directory.services import directory_touch
    from places.models import Place

    through = Organization.service_areas.through
    if through.objects.exists():
        return through.objects.count()
    rng = random.Random(seed)
    localities: dict[int, list[int]] = {}
    countries = {c.pk: (c.lft, c.rgt) for c in Place.objects.filter(kind="country")}
    loc = list(Place.objects.filter(kind="locality").values_list("pk", "lft"))
    bounds = sorted((lo, hi, pk) for pk, (lo, hi) in countries.items())
    import bisect

    starts = [b[0] for b in bounds]
    for pk, place_lft in loc:
        i = bisect.bisect_right(starts, place_lft) - 1
        if i >= 0 and bounds[i][0] <= place_lft <= bounds[i][1]:
            localities.setdefault(bounds[i][2], []).append(pk)
    orgs = [
        (pk, int(lft or 0))
        for pk, lft in Organization.objects.exclude(place_lft=None).values_list("pk", "place_lft")
    ]
    chosen = rng.sample(orgs, int(len(orgs) * share))
    rows = []
    for org_id, lft in chosen:
        i = bisect.bisect_right(starts, lft) - 1
        pool = localities.get(bounds[i][2], []) if i >= 0 else []
        for place_id in rng.sample(pool, min(towns, len(pool))):
            rows.append(through(organization_id=org_id, place_id=place_id))
    with transaction.atomic():
        through.objects.bulk_create(rows, batch_size=5000)
        directory_touch()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--organizations", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--towns", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    db = ROOT / "var" / "bench" / "service-areas.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or f"sqlite:///{db}"
    import run_bench

    run_bench.django_setup(os.environ["DATABASE_URL"])
    run_bench.ensure_data(args.organizations, args.seed)
    from django.db import connection

    from directory import search, selectors, servedmap
    from directory import serving as serving_module
    from directory.mapindex import Filters
    from directory.models import Organization
    from directory.serving import serving_counts
    from places.models import Place

    started = time.perf_counter()
    links = add_service_areas(args.share, args.towns, args.seed)
    print(f"{links:,} service-area links ({time.perf_counter() - started:.0f} s)", flush=True)
    search.analyze()
    print(f"{Organization.objects.count():,} listings, {connection.vendor}", flush=True)

    countries = list(Place.objects.filter(kind="country").order_by("-population", "lft")[:20])
    states = list(Place.objects.filter(kind="state").order_by("-population")[:60])
    regions = list(Place.objects.filter(kind__in=["bioregion", "macroregion"]))
    places = countries + states + regions
    print(f"{len(countries)} countries, {len(states)} states, {len(regions)} regions", flush=True)

    def based(place: Place) -> None:
        rows = selectors.organization_search(user=None, place=place)
        list(rows[:20])
        rows.count()

    # The look-up itself, not the answers remembered for visitors.
    def serving(place: Place) -> None:
        serving_module._serving_remembered.clear()
        serving_module.organization_search_serving(user=None, place=place)

    def serving_words(place: Place) -> None:
        serving_module._serving_remembered.clear()
        serving_module.organization_search_serving(user=None, place=place, q="food")

    for fn in (based, serving):  # warm caches and the map index once
        for p in places[:3]:
            fn(p)
    print("Search by place (in-process):", flush=True)
    for label, fn in (
        ("based there (as before)", based),
        ("serving from elsewhere (added)", serving),
        ("serving from elsewhere, with words", serving_words),
    ):
        report(label, [t for p in places for t in timed(lambda p=p, fn=fn: fn(p))])

    place = countries[0]
    through = Organization.service_areas.through
    sub = through.objects.filter(place.contains_q("place__lft")).values("organization_id")
    qs = Organization.objects.public().filter(pk__in=sub).exclude(place.contains_q("place_lft"))
    print(f"Plan of the serving look-up for {place.name}:", flush=True)
    print("  " + qs.explain().replace("\n", "\n  "), flush=True)

    print("Roll-ups:", flush=True)
    for country in countries[:5]:
        children = list(Place.objects.filter(parent=country))
        times = timed(lambda c=country, ch=children: serving_counts(c, ch), 3)
        report(f"serving_counts {country.name} ({len(children)} places)", times)

    print("Map (served places):", flush=True)
    report("index build", timed(servedmap.served_index_build, 3))
    print(f"  {len(servedmap.served_index()):,} rows in the served index", flush=True)
    world = (-180.0, -85.0, 180.0, 85.0)
    report(
        "world, zoom 2",
        timed(lambda: servedmap.served_markers(bbox=world, zoom=2, filters=Filters()), 10),
    )
    c = next((p for p in countries if p.latitude is not None), countries[0])
    lat, lng = c.latitude or 0.0, c.longitude or 0.0
    box = (lng - 2, lat - 2, lng + 2, lat + 2)
    report(
        f"around {c.name}'s centre, zoom 8",
        timed(lambda: servedmap.served_markers(bbox=box, zoom=8, filters=Filters()), 10),
    )


if __name__ == "__main__":
    main()
