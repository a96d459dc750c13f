"""Pairwise precision and recall of same-group pairs on the hand-labelled real lists.

    .venv/bin/python -m bench.resolution.evaluate [--weights]

Trains the model (seeded) on the two Mutual Aid Hub files and the European solidarity-economy
list together, as one directory would hold them, clusters at several thresholds and compares
the clusters with labels.csv (Mutual Aid Hub pairs, weighted by stratum) and
umbrella_labels.csv (European pairs sharing a link or a name). `--weights` prints each
comparison level's match weight, the model's evidence for and against a match; `--save`
writes the trained model to resolution/model.json, the one the hub ships.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from pathlib import Path

from bench.resolution.data import FILES, OFFSET, UMBRELLA_FILES, load
from resolution import engine

HERE = Path(__file__).parent
LABELS = HERE / "labels.csv"
UMBRELLA_LABELS = HERE / "umbrella_labels.csv"


def _labels(path: Path) -> list[tuple[int, int, bool, float]]:
    out = []
    with path.open() as fh:
        for row in csv.DictReader(fh):
            a = OFFSET[row["source_a"]] + int(row["key_a"])
            b = OFFSET[row["source_b"]] + int(row["key_b"])
            out.append((a, b, row["same"] == "1", float(row.get("weight") or 1)))
    return out


def _scores(labels: list[tuple[int, int, bool, float]], clusters: dict[int, int]) -> str:
    def pr(weighted: bool) -> tuple[float, float, float, float, float]:
        tp = fp = fn = 0.0
        for a, b, same, w in labels:
            w = w if weighted else 1.0
            together = clusters[a] == clusters[b]
            tp += w if same and together else 0
            fp += w if together and not same else 0
            fn += w if same and not together else 0
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        return precision, recall, tp, fp, fn

    p, r, tp, fp, fn = pr(False)
    text = f"precision {p:.3f} recall {r:.3f} (tp {tp:.0f} fp {fp:.0f} fn {fn:.0f})"
    if any(w != 1.0 for *_, w in labels):
        wp, wr, *_ = pr(True)
        text = f"weighted precision {wp:.3f} recall {wr:.3f}; as sampled {text}"
    return text


def print_weights(model: dict) -> None:
    prior = model["probability_two_random_records_match"]
    print(f"prior: {math.log2(prior / (1 - prior)):+.2f} (one pair in {1 / prior:,.0f})")
    for comparison in model["comparisons"]:
        print(f"  {comparison['output_column_name']}:")
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = f"{math.log2(m / u):+6.2f}" if m and u else "   n/a"
            print(f"    {weight}  {level.get('label_for_charts', '')[:70]}")


def main() -> None:
    started = time.perf_counter()
    mah, mah_shown = load(FILES)
    umbrella, umbrella_shown = load(UMBRELLA_FILES)
    shown = {**mah_shown, **umbrella_shown}
    records = mah + umbrella
    model = engine.train(records)
    trained = time.perf_counter()
    pairs = engine.predict(records, model)
    predicted = time.perf_counter()
    if "--weights" in sys.argv:
        print_weights(model)
    if "--save" in sys.argv:
        # The model the hub ships (resolution/model.json) is this one.
        engine.DEFAULT_MODEL.write_text(json.dumps(model, indent=1) + "\n")
        print(f"saved {engine.DEFAULT_MODEL}")
    sets = {"Mutual Aid Hub": _labels(LABELS), "umbrella links": _labels(UMBRELLA_LABELS)}
    ids = [r["unique_id"] for r in records]
    print(f"records: {len(records)}  candidate pairs ≥ {engine.REVIEW_THRESHOLD}: {len(pairs)}")
    print(f"train {trained - started:.1f}s  predict {predicted - trained:.1f}s")
    for threshold in sorted({0.5, 0.8, engine.MATCH_THRESHOLD, 0.95, 0.99}):
        clusters = engine.cluster(ids, pairs, threshold=threshold)
        mark = "  ← used" if threshold == engine.MATCH_THRESHOLD else ""
        review = sum(1 for p in pairs if p.probability < threshold)
        print(
            f"threshold {threshold:.2f}: organizations {len(set(clusters.values()))}, "
            f"review pairs {review}{mark}"
        )
        for name, labels in sets.items():
            print(f"    {name}: {_scores(labels, clusters)}")
            if threshold == engine.MATCH_THRESHOLD and os.environ.get("SHOW_ERRORS"):
                for a, b, same, _ in labels:
                    if same != (clusters[a] == clusters[b]):
                        kind = "missed" if same else "wrong merge"
                        print(f"      {kind}: {shown[a]['name']!r} / {shown[b]['name']!r}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
