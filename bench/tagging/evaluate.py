"""Precision and recall of automatic issue areas against hand labels on real listings.

    .venv/bin/python bench/tagging/evaluate.py

Reads sample.csv (drawn by sample.py from shared/data/groups) and labels.csv (areas chosen by
hand for each listing). Compares the keyword rules, the sentence model over a range of
thresholds, and the two combined. The model's threshold is chosen by 2-fold cross-validation
(calibrate on one half, score the other) so the figures are not fitted to the labels.
"""

import csv
import importlib
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from directory import tagging  # noqa: E402
from directory.models import IssueArea  # noqa: E402

THRESHOLDS = [round(float(t), 2) for t in np.arange(0.20, 0.60, 0.01)]


def load() -> tuple[list[str], list[set[str]], list[str]]:
    labels = {
        (r["source"], r["key"]): set(r["areas"].split(";")) - {""}
        for r in csv.DictReader((HERE / "labels.csv").open(encoding="utf-8"))
    }
    texts, truth, sources = [], [], []
    for r in csv.DictReader((HERE / "sample.csv").open(encoding="utf-8")):
        key = (r["source"], r["key"])
        if key in labels:
            texts.append(tagging.organization_text(r["name"], r["description"]))
            truth.append(labels[key])
            sources.append(r["source"])
    return texts, truth, sources


def score(pred: list[list[str]], truth: list[set[str]]) -> tuple[float, float, float]:
    tp = sum(len(set(p) & t) for p, t in zip(pred, truth, strict=True))
    fp = sum(len(set(p) - t) for p, t in zip(pred, truth, strict=True))
    fn = sum(len(t - set(p)) for p, t in zip(pred, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def union(a: list[list[str]], b: list[list[str]]) -> list[list[str]]:
    return [list(dict.fromkeys(x + y))[: tagging.MAX_AREAS] for x, y in zip(a, b, strict=True)]


def main() -> None:
    shipped = importlib.import_module("directory.migrations.0003_default_issue_areas")
    areas = [
        IssueArea(slug=s, name=n, description=d, bit=i)
        for i, (s, n, d) in enumerate(shipped.ISSUE_AREAS)
    ]
    texts, truth, sources = load()
    print(f"{len(texts)} hand-labelled listings, {sum(map(len, truth))} labels")
    keywords = tagging.suggest_by_keywords(texts, areas)
    t0 = time.perf_counter()
    scores = tagging.model_scores(texts, areas)
    seconds = time.perf_counter() - t0
    print(
        f"model: {len(texts)} listings embedded in {seconds:.1f} s (load average {os.getloadavg()[0]:.1f})"
    )

    def at(t: float, rows: list[int] | None = None) -> list[list[str]]:
        picked = tagging.pick_areas(scores, areas, t)
        return picked if rows is None else [picked[i] for i in rows]

    # 2-fold cross-validation of the threshold.
    idx = list(range(len(texts)))
    folds = [idx[0::2], idx[1::2]]
    cv_pred: list[list[str]] = [[] for _ in texts]
    chosen = []
    for k in (0, 1):
        calib, test = folds[k], folds[1 - k]
        best = max(THRESHOLDS, key=lambda t: score(at(t, calib), [truth[i] for i in calib])[2])
        chosen.append(best)
        for i, p in zip(test, at(best, test), strict=True):
            cv_pred[i] = p
    full_best = max(THRESHOLDS, key=lambda t: score(at(t), truth)[2])

    rows = [
        ("keyword rules", keywords),
        (f"model, cross-validated thresholds {chosen}", cv_pred),
        (f"model, shipped threshold {tagging.MODEL_THRESHOLD}", at(tagging.MODEL_THRESHOLD)),
        (f"model, best threshold on all labels {full_best} (optimistic)", at(full_best)),
        (
            f"model {tagging.MODEL_THRESHOLD} + keywords",
            union(at(tagging.MODEL_THRESHOLD), keywords),
        ),
    ]
    print(f"{'method':64} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, pred in rows:
        p, r, f = score(pred, truth)
        print(f"{name:64} {p:9.3f} {r:7.3f} {f:6.3f}")
    print("\nby source (shipped threshold / keywords):")
    for src in sorted(set(sources)):
        sel = [i for i, s in enumerate(sources) if s == src]
        m = score([at(tagging.MODEL_THRESHOLD)[i] for i in sel], [truth[i] for i in sel])
        kw = score([keywords[i] for i in sel], [truth[i] for i in sel])
        print(
            f"  {src:5} n={len(sel):3}  model P={m[0]:.2f} R={m[1]:.2f}   keywords P={kw[0]:.2f} R={kw[1]:.2f}"
        )
    if "-v" in sys.argv:
        for text, t, m, kw in zip(texts, truth, at(tagging.MODEL_THRESHOLD), keywords, strict=True):
            print(f"- {text[:60]!r}\n    truth={sorted(t)} model={m} keywords={kw}")


if __name__ == "__main__":
    main()
