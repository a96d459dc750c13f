"""Duplicate finding on files that made it quadratic: time, pairs and peak memory.

    .venv/bin/python -m bench.resolution.bounded dsa          # DSA chapters by ZIP code
    .venv/bin/python -m bench.resolution.bounded one-city     # 5,000 rows, one city, 50 MB
    .venv/bin/python -m bench.resolution.bounded FILE.csv

Reads the file as the hub does (directory.readers), gives US ZIP codes their town, state and
coordinates (as the hub's geocoder would), builds the model's features, finds and scores
candidate pairs with the shipped model and clusters them. Prints the blocking report (pairs
compared, pairs a full comparison of the capped blocks would have made, the largest capped
blocks), pairs kept, organizations and the process's peak resident memory (DuckDB included:
it runs in the process).
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.resolution.data import DATA
from directory import readers
from resolution import engine
from resolution.features import record_features

DSA = DATA / "dsa-chapter-zips_2023-09.csv"
ONE_CITY = Path(tempfile.gettempdir()) / "commonweal-one-city-5000.csv"
WORDS = [
    "river",
    "oak",
    "cedar",
    "maple",
    "union",
    "harbor",
    "summit",
    "valley",
    "prairie",
    "willow",
    "granite",
    "juniper",
    "aspen",
    "laurel",
    "hazel",
    "alder",
    "birch",
    "spruce",
    "meadow",
    "orchard",
    "garden",
    "market",
    "station",
    "bridge",
    "hill",
]


def make_one_city(path: Path, rows: int = 5000, seed: int = 7) -> Path:
    """5,000 groups all in Portland, Oregon, each with a 10 KB description full of links:
    the file that drove duplicate finding to 24 GB."""
    rng = random.Random(seed)
    with path.open("w") as fh:
        fh.write("Resource,City,State/Territory,Country,General,Description\n")
        for i in range(rows):
            name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} Mutual Aid {i % 50}"
            links = " ".join(
                f"https://{rng.choice(WORDS)}{rng.randrange(10**6)}.example.org/p/{j}"
                for j in range(30)
            )
            text = (links + " ") * 4 + "x" * (10_000 - 4 * len(links))
            site = f"https://{rng.choice(WORDS)}.example.org/{i}"
            fh.write(f'"{name}",Portland,OR,USA,{site},"{text}"\n')
    return path


def _zip_place(code: str) -> dict[str, Any]:
    import zipcodes

    try:
        found = zipcodes.matching(code)
    except (TypeError, ValueError):
        return {}
    if not found:
        return {}
    z = found[0]
    return {
        "city": z["city"],
        "state": z["state"],
        "latitude": float(z["lat"]),
        "longitude": float(z["long"]),
    }


def features(path: Path) -> list[dict[str, Any]]:
    records = []
    for row in readers.read(path):
        if not isinstance(row, readers.Row):
            continue
        fields = dict(row.fields)
        code = str(fields.get("postcode") or "")
        if code and not fields.get("city"):
            fields.update(_zip_place(code.zfill(5)))
        records.append(record_features(row.key, fields, row.raw))
    return records


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "dsa"
    if which == "dsa":
        path = DSA
    elif which == "one-city":
        path = ONE_CITY if ONE_CITY.exists() else make_one_city(ONE_CITY)
    else:
        path = Path(which)
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    started = time.perf_counter()
    records = features(path)
    read = time.perf_counter()
    model = engine.load_model()
    pairs, report = engine.find_pairs(records, model)
    scored = time.perf_counter()
    clusters = engine.cluster([r["unique_id"] for r in records], pairs)
    done = time.perf_counter()
    same_name = [
        p.probability
        for p in pairs
        if records[p.left - 1]["name_clean"] == records[p.right - 1]["name_clean"]
    ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records {len(records):,}  read+features {read - started:.1f}s")
    print(
        f"pairs compared {report.pairs_compared:,}; capped blocks {report.capped_total:,} "
        f"(in full they would make {report.pairs_unbounded:,} pairs)"
    )
    for block in report.capped[:5]:
        print(
            f"    {block.kind} {block.value[:40]!r}: {block.records:,} records, "
            f"{block.pairs:,} pairs in full, {block.compared:,} compared"
        )
    print(
        f"pairs ≥ {engine.REVIEW_THRESHOLD}: {len(pairs):,}  "
        f"≥ {engine.MATCH_THRESHOLD}: {sum(p.probability >= engine.MATCH_THRESHOLD for p in pairs):,}"
    )
    if same_name:
        same_name.sort()
        print(
            f"pairs with identical names: {len(same_name):,}, median likelihood "
            f"{same_name[len(same_name) // 2]:.2f}, lowest {same_name[0]:.2f}"
        )
    print(f"organizations {len(set(clusters.values())):,}")
    print(
        f"find pairs {scored - read:.1f}s  cluster {done - scored:.1f}s  total {done - started:.1f}s"
    )
    print(f"peak memory (max RSS) {peak:,.0f} MB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
