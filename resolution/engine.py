"""The probabilistic record-linkage model, on splink with DuckDB. No Django here.

The model is Fellegi-Sunter as splink implements it: per-comparison m and u probabilities,
u estimated by random sampling and m by expectation maximisation, both seeded so that the same
records always give the same model. `predict` scores candidate pairs found by blocking rules;
`cluster` joins pairs at a threshold into groups, after coordinators' decisions are applied.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

SEED = 20200402
# Pairs at or above MATCH join one organization; pairs between REVIEW and MATCH are shown to
# a coordinator. Chosen on the hand-labelled Mutual Aid Hub pairs (bench/resolution).
MATCH_THRESHOLD = 0.8
REVIEW_THRESHOLD = 0.2
DEFAULT_MODEL = Path(__file__).with_name("model.json")
PREDICT_THREADS = 2

COMPARISON_COLUMNS = {
    "name": ("name_clean", "name_core"),
    "websites": ("websites",),
    "facebook": ("facebook",),
    "email": ("email",),
    "place": ("city_state", "state", "latitude", "longitude"),
    "postcode": ("postcode",),
}

INPUT_COLUMNS = (
    "unique_id",
    "name_clean",
    "name_core",
    "name_prefix",
    "core_prefix",
    "websites",
    "facebook",
    "email",
    "city_state",
    "state",
    "postcode",
    "latitude",
    "longitude",
    "lat_round",
    "lng_round",
    "website1",
    "facebook1",
)

for _noisy in ("splink", "splink.internals"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def _comparisons() -> list[Any]:
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_clean"),
            cll.ExactMatchLevel("name_clean"),
            cll.JaroWinklerLevel("name_clean", 0.95),
            # Same distinctive words ("queens" in "Queens Mutual Aid" / "Queens Aid Network").
            cll.And(cll.ExactMatchLevel("name_core"), cll.Not(cll.NullLevel("name_core"))),
            cll.LevenshteinLevel("name_core", 2),
            cll.JaroWinklerLevel("name_clean", 0.85),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.6, 0.1, 0.1, 0.05, 0.05, 0.1])
    # City, state and coordinates in one comparison: lists geocode a group to its city's
    # centre, so "same city" and "a few hundred metres apart" are one piece of evidence, and
    # counting both would make every two groups of one city look like duplicates.
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.And(
                cll.Or(cll.NullLevel("state"), cll.NullLevel("city_state")),
                cll.Or(cll.NullLevel("latitude"), cll.NullLevel("longitude")),
            ),
            cll.ExactMatchLevel("city_state"),
            # "Worcester" / "Worchester": typos in the city.
            cll.JaroWinklerLevel("city_state", 0.9),
            cll.DistanceInKMLevel("latitude", "longitude", 5),
            cll.DistanceInKMLevel("latitude", "longitude", 30),
            cll.ExactMatchLevel("state"),
            cll.ElseLevel(),
        ],
    )
    return [
        name,
        cl.ArrayIntersectAtSizes("websites", [1]),
        cl.ArrayIntersectAtSizes("facebook", [1]),
        # Mutual Aid Hub lists carry no e-mail or postcode, so these start from priors that
        # other sources' data then refine.
        cl.ExactMatch("email").configure(
            m_probabilities=[0.8, 0.2], u_probabilities=[0.0001, 0.9999]
        ),
        place,
        cl.ExactMatch("postcode").configure(
            m_probabilities=[0.7, 0.3], u_probabilities=[0.01, 0.99]
        ),
    ]


def _blocking_rules() -> list[Any]:
    return [
        # Names are blocked within a state (except exact ones), and by their distinctive words:
        # common openings ("mutual aid", "food not") would make blocks of thousands in a large
        # directory, and pairs grow with the square of a block.
        block_on("name_clean"),
        block_on("name_core", "state"),
        block_on("core_prefix", "state"),
        block_on("city_state"),
        block_on("lat_round", "lng_round"),
        block_on("websites", arrays_to_explode=["websites"]),
        block_on("facebook", arrays_to_explode=["facebook"]),
        block_on("email"),
    ]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        max_iterations=25,
    )


def _table(records: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    # Column-wise and fully typed, so DuckDB sees list columns even when a batch has no links.
    return {col: [r.get(col) for r in records] for col in INPUT_COLUMNS}


def _memory_limit_mb() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (ValueError, OSError):
        total = 8192
    return max(512, min(total // 4, 8192))


def _db(threads: int = 1) -> DuckDBAPI:
    con = duckdb.connect(":memory:")
    # Training uses one thread so that EM's sums come out in the same order every time;
    # scoring pairs has no such sums and may use two.
    con.execute(f"SET threads TO {int(threads)}")
    # DuckDB would take 80% of the machine's memory by default, beside a hub process that
    # holds the records too; past this limit it spills to disk instead.
    con.execute(f"SET memory_limit = '{_memory_limit_mb()}MB'")
    con.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'commonweal-duckdb'}'")
    return DuckDBAPI(con)


def _register(db: DuckDBAPI, records: Sequence[dict[str, Any]]) -> Any:
    import pyarrow as pa

    schema = pa.schema(
        [
            ("unique_id", pa.int64()),
            ("name_clean", pa.string()),
            ("name_core", pa.string()),
            ("name_prefix", pa.string()),
            ("core_prefix", pa.string()),
            ("websites", pa.list_(pa.string())),
            ("facebook", pa.list_(pa.string())),
            ("email", pa.string()),
            ("city_state", pa.string()),
            ("state", pa.string()),
            ("postcode", pa.string()),
            ("latitude", pa.float64()),
            ("longitude", pa.float64()),
            ("lat_round", pa.float64()),
            ("lng_round", pa.float64()),
            ("website1", pa.string()),
            ("facebook1", pa.string()),
        ]
    )
    return db.register(pa.Table.from_pydict(_table(records), schema=schema))


def train(records: Sequence[dict[str, Any]], *, seed: int = SEED) -> dict[str, Any]:
    """Estimate the model from the records themselves; returns splink's settings dict."""
    db = _db()
    linker = Linker(_register(db, records), settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_clean", "state"), block_on("website1")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    # Each EM pass fixes the comparisons its blocking rule makes equal and learns the rest.
    # Blocks where most pairs are the same group, so EM's "match" class means that: blocking
    # on the place instead lets EM mistake "listed in the same city" for "the same group".
    for rule in (
        block_on("name_clean"),
        block_on("website1"),
        block_on("facebook1"),
    ):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, record_sample_proportion=1.0
        )
    return linker.misc.save_model_to_json(overwrite=True)


def load_model(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or DEFAULT_MODEL).read_text())


@dataclass
class Pair:
    left: int
    right: int
    probability: float
    weight: float
    # comparison name → (splink match weight of the level, level label)
    explanation: dict[str, tuple[float, str]] = field(default_factory=dict)


def predict(
    records: Sequence[dict[str, Any]],
    model: dict[str, Any],
    *,
    threshold: float = REVIEW_THRESHOLD,
) -> list[Pair]:
    """Score every candidate pair the blocking rules find, keeping those above `threshold`."""
    if len(records) < 2:
        return []
    db = _db(threads=PREDICT_THREADS)
    linker = Linker(_register(db, records), model)
    scored = linker.inference.predict(threshold_match_probability=threshold)
    labels = _level_labels(model)
    pairs: list[Pair] = []
    for row in scored.as_record_list():
        explanation: dict[str, tuple[float, str]] = {}
        for comparison in COMPARISON_COLUMNS:
            gamma = row.get(f"gamma_{comparison}")
            weight = row.get(f"mw_{comparison}")
            if gamma is None or gamma == -1 or weight is None:
                continue
            explanation[comparison] = (
                round(float(weight), 2),
                labels.get((comparison, int(gamma)), str(gamma)),
            )
        left, right = int(row["unique_id_l"]), int(row["unique_id_r"])
        pairs.append(
            Pair(
                left=min(left, right),
                right=max(left, right),
                probability=float(row["match_probability"]),
                weight=float(row["match_weight"]),
                explanation=explanation,
            )
        )
    pairs.sort(key=lambda p: (p.left, p.right))
    return pairs


def _level_labels(model: dict[str, Any]) -> dict[tuple[str, int], str]:
    labels: dict[tuple[str, int], str] = {}
    for comparison in model.get("comparisons", []):
        name = comparison.get("output_column_name")
        levels = [lv for lv in comparison.get("comparison_levels", [])]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        for position, level in enumerate(non_null):
            gamma = len(non_null) - 1 - position
            labels[(name, gamma)] = level.get("label_for_charts") or level.get("sql_condition")
    return labels


class _UnionFind:
    def __init__(self, items: Iterable[int]) -> None:
        self.parent = {i: i for i in items}

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cluster(
    ids: Iterable[int],
    pairs: Iterable[Pair],
    *,
    threshold: float = MATCH_THRESHOLD,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> dict[int, int]:
    """Record id → cluster id (its smallest member), honouring coordinators' decisions.

    Must-links join first. Model pairs are then added strongest first, and a pair is skipped
    when joining would put two records a coordinator kept apart into one group, so a decision
    can never be undone by a chain of other matches.
    """
    uf = _UnionFind(ids)
    apart: dict[int, set[int]] = {}
    for a, b in cannot_link:
        if a in uf.parent and b in uf.parent:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)

    members: dict[int, set[int]] = {i: {i} for i in uf.parent}

    def blocked(ra: int, rb: int) -> bool:
        small, large = sorted((members[ra], members[rb]), key=len)
        return any(apart.get(x, set()) & large for x in small)

    def join(a: int, b: int, *, forced: bool) -> None:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb or (not forced and blocked(ra, rb)):
            return
        uf.union(ra, rb)
        root = uf.find(ra)
        other = rb if root == ra else ra
        members[root] |= members.pop(other)

    for a, b in must_link:
        if a in uf.parent and b in uf.parent:
            join(a, b, forced=True)
    for pair in sorted(pairs, key=lambda p: (-p.probability, p.left, p.right)):
        if pair.probability >= threshold:
            join(pair.left, pair.right, forced=False)
    return {i: uf.find(i) for i in uf.parent}
