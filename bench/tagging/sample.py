"""Draw the fixed sample of real listings that labels.csv labels by hand.

.venv/bin/python bench/tagging/sample.py > bench/tagging/sample.csv
"""

import csv
import json
import random
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "groups"


def listings() -> dict[str, list[tuple[str, str, str]]]:
    """(record key, name, description) per source; keys are 1-based positions in the file."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    susy = json.loads((DATA / "susy-solidarity-economy-europe.geojson").read_text("utf-8"))
    out["susy"] = [
        (str(i), f["properties"].get("name", ""), f["properties"].get("description", "") or "")
        for i, f in enumerate(susy["features"], 1)
        if f["properties"].get("description")
    ]
    with (DATA / "ica-youth-led-coops.csv").open(encoding="utf-8") as fh:
        out["ica"] = [
            (str(i), row["Name"], row["Description"] or "")
            for i, row in enumerate(csv.DictReader(fh), 1)
            if row["Description"]
        ]
    mah = json.loads((DATA / "mutual-aid-hub_2020-03-30.geojson").read_text("utf-8"))
    out["mah"] = [
        (str(i), f["properties"].get("title", ""), "") for i, f in enumerate(mah["features"], 1)
    ]
    return out


def sample() -> list[tuple[str, str, str, str]]:
    rng = random.Random(7)
    rows = []
    for source, n in (("susy", 45), ("ica", 30), ("mah", 25)):
        items = listings()[source]
        for key, name, description in rng.sample(items, n):
            rows.append((source, key, name, description))
    return rows


if __name__ == "__main__":
    writer = csv.writer(sys.stdout)
    writer.writerow(["source", "key", "name", "description"])
    writer.writerows(sample())
