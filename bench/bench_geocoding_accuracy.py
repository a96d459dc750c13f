"""How often the offline geocoder puts a "locality, region" text within 25 km of where other
people put it.

    .venv/bin/python bench/bench_geocoding_accuracy.py
    DATABASE_URL=sqlite:////tmp/world.sqlite3 .venv/bin/python bench/bench_geocoding_accuracy.py
    .venv/bin/python bench/bench_geocoding_accuracy.py --misses GB   # show what went wrong
    .venv/bin/python bench/bench_geocoding_accuracy.py --why --misses GB,DE   # and whose miss

Needs places loaded (`commonweal places load`) and the real lists in ../shared/data/groups/
(or SHARED_DATA=/path/to/shared/data): SUSY solidarity-economy initiatives ("city, country"),
ICA youth-led co-ops ("City, Country") and the Mutual Aid Hub map ("city, state"), each with
coordinates their authors wrote. A row's country is the one its coordinates lie in, by the
nearest town of reverse_geocoder's own table, so the grouping does not depend on the geocoder
being measured. Prints, per country, rows, hits within 25 km, and the share.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")

import django  # noqa: E402

django.setup()

from places.geocoder import get_geocoder  # noqa: E402
from places.geotext import normalize  # noqa: E402
from places.models import Place  # noqa: E402

WITHIN_KM = 25.0
TARGET = 0.95
MIN_ROWS = 50


def shared_data() -> Path:
    if os.environ.get("SHARED_DATA"):
        return Path(os.environ["SHARED_DATA"])
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    raise SystemExit("No shared/data found beside the checkout; set SHARED_DATA.")


def rows(data: Path) -> list[tuple[str, str, float, float]]:
    """(source, query, latitude, longitude) for every row with a place text and a point."""
    out: list[tuple[str, str, float, float]] = []
    groups = data / "groups"
    with open(groups / "susy-solidarity-economy-europe.geojson", encoding="utf-8") as f:
        for feature in json.load(f)["features"]:
            p, geometry = feature["properties"], feature.get("geometry") or {}
            city, country = (p.get("addr:city") or "").strip(), (p.get("addr:country") or "")
            if city and geometry.get("type") == "Point":
                lng, lat = geometry["coordinates"][:2]
                query = f"{city}, {country.strip()}" if country.strip() else city
                out.append(("susy", query, float(lat), float(lng)))
    with open(groups / "ica-youth-led-coops.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            city, country = (r.get("City") or "").strip(), (r.get("Country") or "").strip()
            try:
                lat, lng = float(r["Latitude"]), float(r["Longitude"])
            except (TypeError, ValueError):
                continue
            if city:
                out.append(("ica", f"{city}, {country}" if country else city, lat, lng))
    with open(groups / "mutual-aid-hub_2020-03-30.geojson", encoding="utf-8") as f:
        for feature in json.load(f)["features"]:
            p, geometry = feature["properties"], feature.get("geometry") or {}
            city, state = (p.get("city") or "").strip(), (p.get("state") or "").strip()
            if city and geometry.get("type") == "Point":
                lng, lat = geometry["coordinates"][:2]
                out.append(("mah", f"{city}, {state}" if state else city, float(lat), float(lng)))
    return out


def countries_of(points: list[tuple[float, float]]) -> list[str]:
    import reverse_geocoder

    found = reverse_geocoder.search(points, mode=1, verbose=False)
    return [r["cc"] for r in found]


def km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    la1, la2 = math.radians(lat1), math.radians(lat2)
    dlat, dlng = la2 - la1, math.radians(lng2 - lng1)
    h = math.sin(dlat / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlng / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def why(query: str, lat: float, lng: float) -> str:
    """Whose miss it is, told by the query's first term and the places loaded by that name.

    "gap": no place of that name is loaded (a village the gazetteer lacks, or a misspelling);
    "choice": one of that name lies within 25 km of the authors' point, so the geocoder
    picked another (a shared name, or a term it misread); "far": every place of that name lies
    farther than 25 km from the authors' point, so their point (or their text) is likely wrong,
    unless a namesake the gazetteer lacks is meant.
    """
    name = normalize(query.split(",")[0])
    points = Place.objects.filter(search_name=name, latitude__isnull=False).exclude(
        kind__in=["world", "country"]
    )
    seen = False
    for plat, plng in points.values_list("latitude", "longitude"):
        seen = True
        if plat is not None and plng is not None and km(lat, lng, plat, plng) <= WITHIN_KM:
            return "choice"
    return "far" if seen else "gap"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses", default="", help="print the misses of these country codes (comma-separated)"
    )
    parser.add_argument(
        "--why", action="store_true", help="sort each miss: gazetteer gap, choice, or far point"
    )
    args = parser.parse_args()
    data = rows(shared_data())
    countries = countries_of([(lat, lng) for _, _, lat, lng in data])
    t0 = time.perf_counter()
    geocoder = get_geocoder()
    print(f"geocoder built in {time.perf_counter() - t0:.1f} s, {geocoder.size:,} places")
    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    # Misses the geocoder gave as sure answers: the ones a person is not warned about.
    sure_misses: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    t0 = time.perf_counter()
    for (source, query, lat, lng), cc in zip(data, countries, strict=True):
        total[cc] += 1
        result = geocoder.geocode(query)
        if result is not None and result.latitude is not None and result.longitude is not None:
            d = km(lat, lng, result.latitude, result.longitude)
            if d <= WITHIN_KM:
                hits[cc] += 1
                continue
            sure_misses[cc] += not result.uncertain
            misses[cc].append(f"{source}: {query!r} → {result.label} ({d:,.0f} km)")
        elif result is not None:
            misses[cc].append(f"{source}: {query!r} → {result.label} (no coordinates)")
        else:
            misses[cc].append(f"{source}: {query!r} → not found")
        if args.why:
            kind = why(query, lat, lng)
            kinds[cc][kind] += 1
            misses[cc][-1] += f"  [{kind}]"
    seconds = time.perf_counter() - t0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}")
    print(f"{len(data):,} rows geocoded in {seconds:.2f} s")
    print(f"{'country':<8} {'rows':>6} {'within 25 km':>13} {'share':>7} {'sure misses':>12}")
    below = []
    for cc, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])):
        share = hits[cc] / n
        mark = ""
        if n >= MIN_ROWS:
            mark = "" if share >= TARGET else "  * below 95%"
            if share < TARGET:
                below.append(cc)
        print(f"{cc:<8} {n:>6} {hits[cc]:>13} {share:>7.1%} {sure_misses[cc]:>12}{mark}")
    all_hits, all_rows = sum(hits.values()), sum(total.values())
    all_sure = sum(sure_misses.values())
    print(f"{'all':<8} {all_rows:>6} {all_hits:>13} {all_hits / all_rows:>7.1%} {all_sure:>12}")
    big = [cc for cc, n in total.items() if n >= MIN_ROWS]
    print(
        f"countries with {MIN_ROWS}+ rows: {len(big)}; below {TARGET:.0%}: {', '.join(below) or 'none'}"
    )
    if args.why:
        print("misses by cause (gap: name not loaded; choice: geocoder picked another;")
        print("far: every place of that name is > 25 km from the authors' point)")
        for cc, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])):
            if n >= MIN_ROWS:
                k = kinds[cc]
                print(f"{cc:<8} gap {k['gap']:>3}  choice {k['choice']:>3}  far {k['far']:>3}")
    for cc in filter(None, args.misses.upper().split(",")):
        print(f"misses in {cc}:")
        for line in misses.get(cc, []):
            print("  ", line)


if __name__ == "__main__":
    main()
