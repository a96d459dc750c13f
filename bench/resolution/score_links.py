"""Score an exported links file against the hand labels.

    commonweal export links --out links.csv
    .venv/bin/python -m bench.resolution.score_links links.csv

Sources must be named mah-csv and mah-geojson on import (--source).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

LABELS = Path(__file__).with_name("labels.csv")


def main(path: str) -> None:
    org: dict[tuple[str, int], str] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            org[(row["source"], int(row["record_key"]))] = row["organization_id"]
    sizes = Counter(org.values())
    print(
        f"records {len(org)}  organizations {len(sizes)}  merged groups {sum(1 for n in sizes.values() if n > 1)}"
    )
    t = {"tp": 0.0, "fp": 0.0, "fn": 0.0}
    w = {"tp": 0.0, "fp": 0.0, "fn": 0.0}
    with LABELS.open(newline="") as fh:
        for row in csv.DictReader(fh):
            a = org[(row["source_a"], int(row["key_a"]))]
            b = org[(row["source_b"], int(row["key_b"]))]
            same, together = row["same"] == "1", a == b
            kind = "tp" if same and together else "fp" if together else "fn" if same else ""
            if kind:
                t[kind] += 1
                w[kind] += float(row["weight"])
    for label, c in (("all candidate pairs (weighted)", w), ("labelled sample as is", t)):
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        print(f"{label}: precision {precision:.3f} recall {recall:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
