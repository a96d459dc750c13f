"""Look-ups per second of the offline geocoder over the loaded places.

    .venv/bin/python bench/bench_geocoder.py                # the hub's own database
    DATABASE_URL=sqlite:////tmp/world.sqlite3 .venv/bin/python bench/bench_geocoder.py
    .venv/bin/python bench/bench_geocoder.py --lookups 200000 --seed 2

Needs places loaded (`commonweal places load`). Prints the time and memory to build the index,
then look-ups per second, single-threaded, for: forward queries of several shapes ("Oakland,
CA", bare names, ZIP codes, countries and states in other languages), reverse look-ups of
random points near localities, and a 80/20 mix of the two.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")

import django  # noqa: E402

django.setup()

from places.geocoder import Geocoder, build_geocoder  # noqa: E402

FIXED = [
    "Oakland, CA",
    "Oakland, California",
    "Oakland",
    "Ripon, North Yorkshire",
    "Portland, OR",
    "Portland, ME",
    "94612",
    "94612-1234",
    "Österreich",
    "UK",
    "Deutschland",
    "Oregon",
    "BC, Canada",
    "Cascadia",
    "Nowhere Special, Narnia",
]


def anon_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon"):
                return int(line.split()[1]) / 1024
    return 0.0


def forward_queries(g: Geocoder, rng: random.Random, count: int) -> list[str]:
    """Realistic texts: "City, ST", "City, State", bare cities, states, countries, ZIPs."""
    localities = [i for i in range(g.size) if g.kinds[i] == "locality"]
    zips = sorted(g._zip_table())  # noqa: SLF001 (the benchmark reads the index directly)
    out = list(FIXED)
    while len(out) < count:
        i = rng.choice(localities)
        chain = g.chain(i)
        state = next((a for a in chain if g.kinds[a] == "state"), None)
        country = next((a for a in chain if g.kinds[a] == "country"), None)
        shape = rng.random()
        if shape < 0.35 and state is not None and "-" in g.iso[state]:
            out.append(f"{g.names[i]}, {g.iso[state].split('-', 1)[1]}")
        elif shape < 0.55 and state is not None:
            out.append(f"{g.names[i]}, {g.names[state]}")
        elif shape < 0.75:
            out.append(g.names[i])
        elif shape < 0.85 and zips:
            out.append(rng.choice(zips))
        elif shape < 0.95 and state is not None:
            out.append(g.names[state])
        elif country is not None:
            out.append(g.names[country])
    return out


def reverse_points(g: Geocoder, rng: random.Random, count: int) -> list[tuple[float, float]]:
    located = [i for i in range(g.size) if g.kinds[i] == "locality" and g.lat[i] is not None]
    points = []
    for _ in range(count):
        i = rng.choice(located)
        lat, lng = g.lat[i], g.lng[i]
        assert lat is not None and lng is not None
        points.append(
            (max(-90.0, min(90.0, lat + rng.uniform(-0.1, 0.1))), lng + rng.uniform(-0.1, 0.1))
        )
    return [(lat, ((lng + 180) % 360) - 180) for lat, lng in points]


class Timer:
    """Wall time and this process's CPU time: on a shared machine the CPU rate is what one
    idle core would do, the wall rate what this run got."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def rate(label: str, n: int, t: Timer) -> None:
    print(f"  {label:<42} {n / t.cpu:>9,.0f} /s CPU  {n / t.wall:>9,.0f} /s wall  ({n:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=100_000, help="forward look-ups to time")
    parser.add_argument("--distinct", type=int, default=5_000, help="distinct forward queries")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    before = anon_mb()
    t0 = time.perf_counter()
    g = build_geocoder()
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    g.warm()
    warmed = time.perf_counter() - t0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}")
    print(f"places: {g.size:,}  names: {len(g.index):,}")
    print(f"build: {built:.1f} s (names) + {warmed:.1f} s (ZIP codes, reverse index)")
    print(f"memory: {anon_mb() - before:,.0f} MB anonymous RSS for the geocoder")
    if not g.size:
        print("No places: run `commonweal places load` first.")
        return

    queries = forward_queries(g, rng, args.distinct)
    stream = [rng.choice(queries) for _ in range(args.lookups)]
    found = sum(1 for q in queries if g.geocode(q) is not None)
    print(f"distinct forward queries: {len(queries):,} ({found / len(queries):.0%} found)")

    print("look-ups per second (one thread):")
    with Timer() as t:
        for q in stream:
            g.geocode(q)
    rate("forward", len(stream), t)

    with Timer() as t:
        for q in stream[: args.lookups // 5]:
            result = g.geocode(q)
            if result is not None:
                result.to_dict()
    rate("forward + to_dict() (JSON-ready)", args.lookups // 5, t)

    points = reverse_points(g, rng, max(1, args.lookups // 5))
    with Timer() as t:
        for lat, lng in points:
            g.reverse(lat, lng)
    rate("reverse, one point per call", len(points), t)

    with Timer() as t:
        g.reverse_many(points)
    rate("reverse_many, all points in one call", len(points), t)

    mixed: list[str | tuple[float, float]] = [*stream[: len(points) * 4], *points]
    rng.shuffle(mixed)
    with Timer() as t:
        for item in mixed:
            if isinstance(item, str):
                g.geocode(item)
            else:
                g.reverse(*item)
    rate("mixed 80% forward / 20% reverse", len(mixed), t)

    print("answers to the fixed queries:")
    for text in FIXED:
        r = g.geocode(text)
        shown = f"{r.label} ({r.place.kind}, {r.confidence:.2f}" if r else "not found"
        if r:
            shown += ", uncertain)" if r.uncertain else ")"
        print(f"  {text!r:<28} → {shown}")


if __name__ == "__main__":
    main()
