"""The probabilistic record-linkage model, on splink with DuckDB. No Django here.

The model is Fellegi-Sunter as splink implements it: per-comparison m and u probabilities,
u estimated by random sampling and m by expectation maximisation, both seeded so that the same
records always give the same model. `find_pairs` scores the candidate pairs that blocking
(resolution.blocking, bounded) finds; `cluster` joins pairs at a threshold into groups, after
coordinators' decisions are applied.

Links and e-mail are weighed by how many differently named records carry them (term frequency,
in bands), and names that name different places count against a match: an umbrella site shared
by twenty ward groups does not make them one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from resolution.blocking import BLOCK_CAP, Blocking, contacts, prepare

SEED = 20200402
# Pairs at or above MATCH join one organization; pairs between REVIEW and MATCH are shown to
# a coordinator. Chosen on the hand-labelled Mutual Aid Hub pairs (bench/resolution).
MATCH_THRESHOLD = 0.8
REVIEW_THRESHOLD = 0.2
DEFAULT_MODEL = Path(__file__).with_name("model.json")
PREDICT_THREADS = 2
# comparison → the input columns it reads.
COMPARISON_COLUMNS = {
    "name": ("name_clean", "name_core", "name_words", "name_places", "name_aliases"),
    "links": ("links",),
    "place": ("city_state", "state", "latitude", "longitude"),
    "postcode": ("postcode",),
}

INPUT_COLUMNS = (
    "unique_id",
    "name_clean",
    "name_core",
    "name_prefix",
    "core_prefix",
    "name_words",
    "name_places",
    "name_aliases",
    "block_keys",
    "links",
    "sites",
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


def _extra(column: str) -> str:
    """SQL: the words of one side's list that the other side's lacks, as a count. A word of
    four letters or more that the other name holds run together or split ("Gemeinwohl
    Ökonomie" / "Gemeinwohlökonomie") is not lacking, nor one of five letters or more that
    the other name holds with one letter wrong ("Klimabündnis" / "Klimabründnis")."""
    other = column[:-1] + ("r" if column.endswith("l") else "l")
    glued = "replace(name_clean_" + other[-1] + ", ' ', '')"
    return (
        f"len(list_filter({column}, lambda x: NOT list_contains({other}, x) "
        f"AND NOT (length(x) >= 4 AND contains({glued}, x)) "
        f"AND NOT (length(x) >= 5 AND len(list_filter({other}, "
        f"lambda y: levenshtein(x, y) <= 1)) > 0)))"
    )


def _both_have_own(column: str) -> str:
    return (
        f"({column}_l IS NOT NULL AND {column}_r IS NOT NULL "
        f"AND {_extra(column + '_l')} > 0 AND {_extra(column + '_r')} > 0)"
    )


def _rarest_shared(column: str) -> str:
    """SQL: how many differently named records carry the rarest link both sides have (links
    are written "count|link", see `prepare`)."""
    return (
        f"list_min(list_transform(list_intersect({column}_l, {column}_r), "
        f"lambda x: cast(split_part(x, '|', 1) as integer)))"
    )


def _links_comparison() -> Any:
    # Websites, forms, Facebook pages and e-mail addresses together, weighed by term
    # frequency in bands: a link only one group's listings carry is strong evidence; an
    # umbrella (a national network's site, a borough-wide page, a national Facebook group, a
    # network's office address) that dozens of differently named listings carry says little.
    # One comparison, not one per kind: a network's chapters share its site and its address
    # together, and counting both would count one fact twice. u (how often two random
    # records share such a link) is estimated per band; m for the wide bands is fixed low: of
    # the pairs among twenty chapters sharing their network's site, hardly any is one group,
    # and EM sees too few true pairs there to learn it.
    shared = "list_intersect(links_l, links_r)"
    rarest = _rarest_shared("links")
    few = f"len(list_filter({shared}, lambda x: cast(split_part(x, '|', 1) as integer) <= 5))"
    return cl.CustomComparison(
        output_column_name="links",
        comparison_levels=[
            cll.NullLevel("links"),
            # A group's form and its Facebook page, both given by its few listings.
            cll.CustomLevel(f"{few} >= 2", label_for_charts="links: two of their own shared"),
            cll.CustomLevel(f"{rarest} <= 2", label_for_charts="link shared by 2 names or fewer"),
            cll.CustomLevel(f"{rarest} <= 5", label_for_charts="link shared by 3 to 5 names"),
            cll.CustomLevel(
                f"{rarest} <= 20", label_for_charts="link shared by 6 to 20 names"
            ).configure(m_probability=0.002, fix_m_probability=True),
            cll.CustomLevel(
                f"{rarest} > 20", label_for_charts="link shared by over 20 names"
            ).configure(m_probability=0.0005, fix_m_probability=True),
            # No link in common, but pages on one site that few names use: one group's pages
            # for two towns ("issba.at/standort-imst/…", "issba.at/standort-reutte/…").
            cll.CustomLevel(
                f"{_rarest_shared('sites')} <= 5", label_for_charts="same website, other pages"
            ),
            # The same, on a site (or e-mail domain) that 6 to 20 names use: an association's
            # shops in two towns ("issba.at/standort-imst/…", "…/standort-reutte/…").
            cll.CustomLevel(
                f"{_rarest_shared('sites')} <= 20",
                label_for_charts="same website, other pages, 6 to 20 names",
            ),
            cll.ElseLevel(),
        ],
    )


def _comparisons() -> list[Any]:
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_clean"),
            cll.ExactMatchLevel("name_clean"),
            # One name is the other's initials or its trade name: "CERAI" / "Centro de
            # Estudios Rurales y de Agricultura Internacional", "Beacon" / "Ethical Legal
            # Services trading as Beacon". Random sampling never meets such a pair, so u
            # cannot be estimated: of the 4.5 million pairs of the 3,011 records in
            # bench/resolution, two meet it and both are one organization, which bounds u
            # below 7e-7 (rule of three); 1e-5 is set, well above that bound.
            cll.CustomLevel(
                "list_contains(name_aliases_l, name_clean_r) "
                "OR list_contains(name_aliases_r, name_clean_l)",
                label_for_charts="one name is the other's initials or trade name",
            ).configure(
                m_probability=0.01,
                u_probability=1e-5,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            # Each name names a place the other does not: "Northside" / "Riverside Mutual Aid",
            # "Slow Food Pfalz" / "Slow Food Taunus", "Trussell Trust Shop Winton" / "...
            # Verwood" (whose distinctive words agree once each one's own town is set aside).
            # Unless the names are a typo apart ("Worcester" / "Worchester"). True duplicates
            # almost never do this, so m is fixed low.
            cll.CustomLevel(
                f"{_both_have_own('name_places')} AND levenshtein(name_clean_l, name_clean_r) > 2",
                label_for_charts="names name different places",
            ).configure(m_probability=0.0005, fix_m_probability=True),
            # Same distinctive words ("queens" in "Queens Mutual Aid" / "Queens Aid Network").
            cll.And(cll.ExactMatchLevel("name_core"), cll.Not(cll.NullLevel("name_core"))),
            cll.JaroWinklerLevel("name_clean", 0.95),
            cll.LevenshteinLevel("name_core", 2),
            # Each name has a distinctive word the other lacks ("Fair Teiler BOKU" / "Fair
            # Teiler Schauspielhaus"), however alike the rest of the names look.
            cll.CustomLevel(
                _both_have_own("name_words"), label_for_charts="names differ in distinctive words"
            ).configure(m_probability=0.01, fix_m_probability=True),
            # Alike names, when both have distinctive words: "DC Mutual Aid" and "DC Mutual Aid
            # Network" are alike only in words every group uses.
            cll.And(
                cll.JaroWinklerLevel("name_clean", 0.85),
                cll.Not(cll.Or(cll.NullLevel("name_core"), cll.NullLevel("name_words"))),
            ),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.6, 0.01, 0.0005, 0.1, 0.1, 0.05, 0.01, 0.05, 0.0795])
    # City, state and coordinates in one comparison: lists geocode a group to its city's
    # centre, so "same city" and "a few hundred metres apart" are one piece of evidence, and
    # counting both would make every two groups of one city look like duplicates.
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            # No data only when neither a state nor coordinates are known on both sides: a
            # list of ZIP codes gives a state and no town, and "same state" still counts.
            cll.And(
                cll.NullLevel("state"),
                cll.Or(cll.NullLevel("latitude"), cll.NullLevel("longitude")),
            ),
            cll.ExactMatchLevel("city_state"),
            # "Worcester" / "Worchester": typos in the city.
            cll.JaroWinklerLevel("city_state", 0.9),
            cll.DistanceInKMLevel("latitude", "longitude", 5),
            cll.DistanceInKMLevel("latitude", "longitude", 30),
            cll.ExactMatchLevel("state"),
            # Lists without states (most of Europe's): one organization's sites in a region.
            cll.DistanceInKMLevel("latitude", "longitude", 100),
            cll.ElseLevel(),
        ],
    )
    return [
        name,
        _links_comparison(),
        place,
        _postcode_comparison(),
    ]


# SQL: the two records are already near each other (same city, or a few kilometres apart).
_NEAR = (
    "coalesce(city_state_l = city_state_r, false) OR coalesce("
    "abs(latitude_l - latitude_r) < 0.05 AND abs(longitude_l - longitude_r) < 0.07, false)"
)


def _postcode_comparison() -> Any:
    # A postcode in common is evidence of place, which the place comparison already weighs
    # when both records are in one town: counted again it made an association and the
    # museum it runs at its own address look like one listing. It counts only where the
    # place comparison did not see the records together (coordinates swapped or missing).
    # Mutual Aid Hub lists carry no postcode, so it starts from a prior that other sources'
    # data then refine.
    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.CustomLevel(
                f'"postcode_l" = "postcode_r" AND NOT ({_NEAR})',
                label_for_charts="Exact match on postcode",
            ).configure(m_probability=0.7, u_probability=0.01),
            cll.CustomLevel(
                '"postcode_l" = "postcode_r"',
                label_for_charts="same postcode, counted with the place",
            ).configure(
                m_probability=0.5,
                u_probability=0.5,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ElseLevel().configure(m_probability=0.3, u_probability=0.99),
        ],
    )


def _blocking_rules() -> list[Any]:
    # Every block key (name, distinctive words, city, link, ...) is in one list per record,
    # built and capped in `prepare`; one exploding rule turns shared keys into pairs.
    return [block_on("block_keys", arrays_to_explode=["block_keys"])]


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
            ("name_words", pa.list_(pa.string())),
            ("name_places", pa.list_(pa.string())),
            ("name_aliases", pa.list_(pa.string())),
            ("block_keys", pa.list_(pa.string())),
            ("links", pa.list_(pa.string())),
            ("sites", pa.list_(pa.string())),
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
    prepared, _report = prepare(records)
    linker = Linker(_register(db, prepared), settings())
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


@dataclass(slots=True)
class Pair:
    left: int
    right: int
    probability: float
    weight: float
    # Per comparison (COMPARISON_COLUMNS order): splink's level (gamma, -1 for no data) and
    # its match weight. Kept as two tuples, not a dict per pair: a capped run still scores a
    # few hundred thousand pairs.
    gammas: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()
    labels: dict[tuple[str, int], str] | None = None

    @property
    def explanation(self) -> dict[str, tuple[float, str]]:
        """comparison name → (match weight of its level, level label)."""
        out: dict[str, tuple[float, str]] = {}
        for comparison, gamma, weight in zip(
            COMPARISON_COLUMNS, self.gammas, self.weights, strict=False
        ):
            if gamma == -1:
                continue
            label = (self.labels or {}).get((comparison, gamma), str(gamma))
            out[comparison] = (round(weight, 2), label)
        return out


def predict(
    records: Sequence[dict[str, Any]],
    model: dict[str, Any],
    *,
    threshold: float = REVIEW_THRESHOLD,
) -> list[Pair]:
    """Score every candidate pair the blocking rules find, keeping those above `threshold`."""
    return find_pairs(records, model, threshold=threshold)[0]


def find_pairs(
    records: Sequence[dict[str, Any]],
    model: dict[str, Any],
    *,
    threshold: float = REVIEW_THRESHOLD,
    cap: int = BLOCK_CAP,
) -> tuple[list[Pair], Blocking]:
    """Pairs above `threshold`, and what blocking compared and left out to stay bounded."""
    prepared, report = prepare(records, cap=cap)
    if len(records) < 2:
        return [], report
    settings_dict = dict(model)
    # Blocking is the engine's, not the model's: a model trained before the caps still runs
    # with them. Only the columns the pages explain are kept with the scores.
    settings_dict["blocking_rules_to_generate_predictions"] = [
        rule.create_blocking_rule_dict("duckdb") for rule in _blocking_rules()
    ]
    settings_dict["retain_matching_columns"] = True
    settings_dict["retain_intermediate_calculation_columns"] = True
    db = _db(threads=PREDICT_THREADS)
    linker = Linker(_register(db, prepared), settings_dict)
    scored = linker.inference.predict(threshold_match_probability=threshold)
    labels = _level_labels(model)
    columns = ", ".join(
        f"coalesce(gamma_{c}, -1), coalesce(mw_{c}, 0.0)" for c in COMPARISON_COLUMNS
    )
    cursor = db.duckdb_con.execute(
        f"select unique_id_l, unique_id_r, match_probability, match_weight, {columns} "
        f"from {scored.physical_name}"
    )
    pairs: list[Pair] = []
    while batch := cursor.fetchmany(50_000):
        for row in batch:
            left, right = int(row[0]), int(row[1])
            rest = row[4:]
            pairs.append(
                Pair(
                    left=min(left, right),
                    right=max(left, right),
                    probability=float(row[2]),
                    weight=float(row[3]),
                    gammas=tuple(int(g) for g in rest[0::2]),
                    weights=tuple(float(w) for w in rest[1::2]),
                    labels=labels,
                )
            )
    scored.drop_table_from_database_and_remove_from_cache()
    pairs.sort(key=lambda p: (p.left, p.right))
    return pairs, report


def link_evidence(
    pair: Pair, records: dict[int, dict[str, Any]], counts: dict[str, int]
) -> dict[str, str]:
    """For a pair's shared links: which link, and how many differently named records carry
    it ("slowfood.de: 67 names"), in the comparison's name."""
    out: dict[str, str] = {}
    a, b = records.get(pair.left), records.get(pair.right)
    if a is None or b is None:
        return out
    shared = sorted(set(contacts(a)) & set(contacts(b)), key=lambda u: (counts.get(u, 0), u))
    if shared:
        out["links"] = f"{shared[0]}|{counts.get(shared[0], 0)}"
    return out


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
