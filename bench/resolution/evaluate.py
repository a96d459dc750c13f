"""Pairwise precision and recall of same-group pairs on the hand-labelled Mutual Aid Hub pairs.

    .venv/bin/python -m bench.resolution.evaluate

Trains the model on both files (seeded), clusters at the match threshold and compares the
clusters with labels.csv; also prints how many organizations both files resolve into.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

from bench.resolution.data import OFFSET, load
from resolution import engine

LABELS = Path(__file__).with_name("labels.csv")


def main() -> None:
    started = time.perf_counter()
    records, shown = load()
    model = engine.train(records)
    trained = time.perf_counter()
    pairs = engine.predict(records, model)
    predicted = time.perf_counter()
    labels = []
    with LABELS.open() as fh:
        for row in csv.DictReader(fh):
            a = OFFSET[row["source_a"]] + int(row["key_a"])
            b = OFFSET[row["source_b"]] + int(row["key_b"])
            labels.append((a, b, row["same"] == "1", float(row["weight"])))
    ids = [r["unique_id"] for r in records]
    print(f"records: {len(records)}  candidate pairs ≥ {engine.REVIEW_THRESHOLD}: {len(pairs)}")
    print(f"train {trained - started:.1f}s  predict {predicted - trained:.1f}s")
    for threshold in sorted({0.5, 0.8, engine.MATCH_THRESHOLD, 0.95, 0.99}):
        clusters = engine.cluster(ids, pairs, threshold=threshold)
        tp = sum(1 for a, b, same, _ in labels if same and clusters[a] == clusters[b])
        fp = sum(1 for a, b, same, _ in labels if not same and clusters[a] == clusters[b])
        fn = sum(1 for a, b, same, _ in labels if same and clusters[a] != clusters[b])
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        # Weighted by stratum: an estimate over every candidate pair of the two files.
        wtp = sum(w for a, b, same, w in labels if same and clusters[a] == clusters[b])
        wfp = sum(w for a, b, same, w in labels if not same and clusters[a] == clusters[b])
        wfn = sum(w for a, b, same, w in labels if same and clusters[a] != clusters[b])
        w_precision = wtp / (wtp + wfp) if wtp + wfp else 1.0
        w_recall = wtp / (wtp + wfn) if wtp + wfn else 1.0
        review = sum(1 for p in pairs if p.probability < threshold)
        mark = "  ← used" if threshold == engine.MATCH_THRESHOLD else ""
        print(
            f"threshold {threshold:.2f}: all candidate pairs (weighted): precision "
            f"{w_precision:.3f} recall {w_recall:.3f}; labelled sample as is: precision "
            f"{precision:.3f} recall {recall:.3f} (tp {tp} fp {fp} fn {fn} of {len(labels)}) "
            f"organizations {len(set(clusters.values()))} review pairs {review}{mark}"
        )
        if threshold == engine.MATCH_THRESHOLD and os.environ.get("SHOW_ERRORS"):
            for a, b, same, _ in labels:
                if same != (clusters[a] == clusters[b]):
                    kind = "missed" if same else "wrong merge"
                    print(f"  {kind}: {shown[a]['name']!r} / {shown[b]['name']!r}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
