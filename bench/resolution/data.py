"""Load the Mutual Aid Hub CSV (2020-04-02) and GeoJSON (2020-03-30) as resolution records."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from directory import readers
from resolution.features import record_features


def _shared_groups() -> Path:
    # The shared data sits beside the checkout (../shared), which for a worktree under
    # wt/<name> is one level further up; COMMONWEAL_SHARED_DATA names it outright.
    configured = os.environ.get("COMMONWEAL_SHARED_DATA")
    if configured:
        return Path(configured) / "groups"
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "groups"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "groups"


DATA = _shared_groups()
FILES = {
    "mah-csv": DATA / "mutual-aid-hub_2020-04-02_raw.csv",
    "mah-geojson": DATA / "mutual-aid-hub_2020-03-30.geojson",
}
# Solidarity-economy initiatives across Europe (TransforMap): local chapters that give their
# network's site as their link (67 Slow Food conviviums on slowfood.de, Fair-Teiler on
# foodsharing.at, Trussell Trust shops, Weltläden): the umbrella-link set.
UMBRELLA_FILES = {"susy": DATA / "susy-solidarity-economy-europe.geojson"}
# unique_id = OFFSET[source] + record_key, so a pair names its records at a glance.
OFFSET = {"mah-csv": 0, "mah-geojson": 100_000, "susy": 200_000}


def load(
    files: dict[str, Path] | None = None,
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """(features for the model, unique_id → what a person reads when labelling)."""
    records: list[dict[str, Any]] = []
    shown: dict[int, dict[str, Any]] = {}
    for source, path in (files or FILES).items():
        for row in readers.read(path):
            if not isinstance(row, readers.Row):
                continue
            uid = OFFSET[source] + row.key
            records.append(record_features(uid, row.fields, row.raw))
            raw = row.raw.get("properties", row.raw)
            shown[uid] = {
                "source": source,
                "record_key": row.key,
                "name": row.fields.get("name", ""),
                "city": row.fields.get("city", ""),
                "state": row.fields.get("state", ""),
                "links": " ".join(
                    str(v) for v in raw.values() if isinstance(v, str) and "http" in v
                ),
            }
    return records, shown


def split_uid(uid: int) -> tuple[str, int]:
    source = max((s for s, offset in OFFSET.items() if uid > offset), key=OFFSET.__getitem__)
    return source, uid - OFFSET[source]
