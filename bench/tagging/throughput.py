"""How fast each tagging method reads listings (names and descriptions of the SUSY map).

.venv/bin/python bench/tagging/throughput.py [N]
"""

import importlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")

import django  # noqa: E402

django.setup()

from directory import embedding, tagging  # noqa: E402
from directory.models import IssueArea  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    data = HERE.parents[2] / "shared" / "data" / "groups" / "susy-solidarity-economy-europe.geojson"
    features = json.loads(data.read_text("utf-8"))["features"]
    texts = [
        tagging.organization_text(
            f["properties"].get("name", ""), f["properties"].get("description", "") or ""
        )
        for f in features
    ]
    shipped = importlib.import_module("directory.migrations.0003_default_issue_areas")
    areas = [
        IssueArea(slug=s, name=nm, description=d, bit=i)
        for i, (s, nm, d) in enumerate(shipped.ISSUE_AREAS)
    ]
    many = (texts * (10_000 // len(texts) + 1))[:10_000]
    t0 = time.perf_counter()
    tagging.suggest_by_keywords(many, areas)
    kw = time.perf_counter() - t0
    print(f"keywords: {len(many):,} listings in {kw:.2f} s ({len(many) / kw:,.0f}/s)")
    tagging.model_scores(texts[:1], areas)  # load the model and the area prototypes first
    sample = texts[:n]
    names = [f["properties"].get("name", "") for f in features[:n]]
    model = embedding.get_model()
    for label, batch in (("names + descriptions", sample), ("names only", names)):
        t0 = time.perf_counter()
        model.embed(batch)
        sec = time.perf_counter() - t0
        print(f"model, {label}: {len(batch)} listings in {sec:.1f} s ({len(batch) / sec:.1f}/s)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
