"""Which records to compare, bounded, and each link weighed by how many groups carry it.
No Django here.

Candidate pairs come from blocks: records that share a name, their distinctive words, a city,
a map position, a link or an e-mail. A block's pairs grow with the square of its size, so a
block past BLOCK_CAP records is sorted and each record compared only with its neighbours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from resolution.features import name_places

# A block (records sharing a name, a city, a link, ...) of up to BLOCK_CAP records is compared
# in full, at most 1,225 pairs. A larger one ("New York City" a thousand times, twenty-four
# thousand rows of one city) is sorted and each record compared only with its neighbours,
# WINDOW at a time, so pairs grow with the records rather than with their square.
BLOCK_CAP = 50
WINDOW = 10
# How many of the largest capped blocks a run keeps to show on the review queue.
CAPPED_SHOWN = 20


# Block keys in `prepare`: (kind, how to read a record's keys for it).
def _keys(record: dict[str, Any]) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    state = record.get("state")
    if record.get("name_clean"):
        keys.append(("name", record["name_clean"]))
    # Names are blocked within a state (except exact ones), and by their distinctive words:
    # common openings ("mutual aid", "food not") would make blocks of thousands.
    if record.get("name_core") and state:
        keys.append(("words", f"{record['name_core']}|{state}"))
    if record.get("core_prefix") and state:
        keys.append(("opening", f"{record['core_prefix']}|{state}"))
    if record.get("city_state"):
        keys.append(("city", record["city_state"]))
    if record.get("lat_round") is not None and record.get("lng_round") is not None:
        keys.append(("spot", f"{record['lat_round']},{record['lng_round']}"))
    for link in record.get("websites") or ():
        keys.append(("link", link))
    for link in record.get("facebook") or ():
        keys.append(("link", link))
    if record.get("email"):
        keys.append(("email", record["email"]))
    for phone in record.get("phones") or ():
        keys.append(("phone", phone))
    return keys


@dataclass
class CappedBlock:
    kind: str
    value: str
    records: int
    pairs: int
    compared: int


@dataclass
class Blocking:
    """What blocking will compare, and what it leaves out of a full comparison."""

    records: int = 0
    pairs_compared: int = 0
    pairs_unbounded: int = 0
    capped_total: int = 0
    capped: list[CappedBlock] = field(default_factory=list)


def _sort_key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (
        record.get("name_clean") or "",
        record.get("city_state") or "",
        record.get("postcode") or "",
        record.get("latitude") or 0.0,
        record.get("longitude") or 0.0,
        record["unique_id"],
    )


def prepare(
    records: Sequence[dict[str, Any]], *, cap: int = BLOCK_CAP, window: int = WINDOW
) -> tuple[list[dict[str, Any]], Blocking]:
    """The records as the model reads them, with every link weighed by how many differently
    named records in the whole set carry it, and each record's capped block keys."""
    report = Blocking(records=len(records))
    counts = link_counts(records)
    site_counts = _counts(records, lambda r: r.get("sites") or ())
    city_words: set[str] = set()
    for r in records:
        city = r.get("city") or ""
        if city and " " not in city and len(city) >= 4:
            city_words.add(city)
    city_places = frozenset(city_words)
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    out: list[dict[str, Any]] = []
    for position, r in enumerate(records):
        row = dict(r)
        reach = contacts(r)
        row["links"] = [f"{counts[u]}|{u}" for u in reach] or None
        row["sites"] = [f"{site_counts[u]}|{u}" for u in r.get("sites") or ()] or None
        for column, first in (("websites", "website1"), ("facebook", "facebook1")):
            # Training blocks on a record's own link, not an umbrella: in a block of sixty
            # chapters sharing a national site, EM's "match" class would stop meaning "same".
            row[first] = next((u for u in r.get(column) or () if counts[u] <= 5), None)
        if r.get("name_words"):
            # The directory's own cities count as places too ("Wien", "Graz"), and so do the
            # words a record's name shares with its own town: "Weltladen St. Johann in Tirol"
            # in St. Johann in Tirol names "johann", which no gazetteer word list holds.
            own_town = frozenset(w for w in (r.get("city") or "").split() if len(w) >= 4)
            row["name_places"] = name_places(r["name_words"], city_places | own_town) or None
        row["block_keys"] = []
        for key in _keys(r):
            members[key].append(position)
        out.append(row)
    capped: list[CappedBlock] = []
    for (kind, value), positions in members.items():
        n = len(positions)
        if n < 2:
            continue
        block = f"{kind}:{value}"
        if n <= cap:
            report.pairs_compared += n * (n - 1) // 2
            for p in positions:
                out[p]["block_keys"].append(block)
            continue
        # Sorted neighbourhood: two staggered series of windows, so every record meets the
        # `window // 2` records on each side of it; chains of matches still join a whole
        # block of one group's rows into one organization.
        ordered = sorted(positions, key=lambda p: _sort_key(records[p]))
        half = max(1, window // 2)
        for i, p in enumerate(ordered):
            out[p]["block_keys"].append(f"{block}#a{i // window}")
            out[p]["block_keys"].append(f"{block}#b{(i + half) // window}")
        compared = n * (window - 1)
        report.pairs_compared += compared
        report.pairs_unbounded += n * (n - 1) // 2
        capped.append(
            CappedBlock(kind, value, n, n * (n - 1) // 2, min(compared, n * (n - 1) // 2))
        )
    for row in out:
        row["block_keys"] = row["block_keys"] or None
    capped.sort(key=lambda b: (-b.records, b.kind, b.value))
    report.capped_total = len(capped)
    report.capped = capped[:CAPPED_SHOWN]
    return out, report


def link_counts(records: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Link → how many differently named records carry it (the weighing `prepare` uses)."""
    return _counts(records, contacts)


def _counts(
    records: Sequence[dict[str, Any]], values: Callable[[dict[str, Any]], Iterable[str]]
) -> dict[str, int]:
    names: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for value in values(r):
            names[value].add(r.get("name_clean") or str(r["unique_id"]))
    return {value: len(n) for value, n in names.items()}


def contacts(record: dict[str, Any]) -> list[str]:
    """A record's links, e-mail address and phone numbers, the ways a group is reached."""
    email = [record["email"]] if record.get("email") else []
    return [
        *(record.get("websites") or ()),
        *(record.get("facebook") or ()),
        *email,
        *(record.get("phones") or ()),
    ]
