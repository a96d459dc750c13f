"""Prepare the bird's-eye map's boundary files from public boundary data (run once, by hand).

    python scripts/overview_boundaries.py /path/to/boundaries static/overview/boundaries

Reads Natural Earth's 1:110m countries and 1:50m states and provinces (GeoJSON, public domain)
and the US Census counties of us-atlas (TopoJSON, ISC), and writes small GeoJSON files keyed
the way places are: countries.json by ISO 3166-1 code, states/<country>.json by ISO 3166-2
code (the United States, Canada, Brazil and Australia), and
us-counties/<state FIPS>.json by "fips:<county FIPS>" (the places' source_ref). Coordinates
are rounded to 0.01° (about a kilometre), plenty for shading a place on a page.
"""

import json
import sys
from pathlib import Path
from typing import Any

# Natural Earth leaves these without an ISO_A2 (overseas territories make them ambiguous).
A3_TO_A2 = {"FRA": "FR", "NOR": "NO"}
STATE_FIPS_DIGITS = 2


def _round(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 2), round(coords[1], 2)]
    rounded = [_round(c) for c in coords]
    # Drop points that rounding made equal to the one before.
    if rounded and isinstance(rounded[0][0], float):
        kept = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
        return kept if len(kept) >= 4 else rounded
    return rounded


def _feature(key: str, name: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"key": key, "name": name},
        "geometry": {"type": geometry["type"], "coordinates": _round(geometry["coordinates"])},
    }


def _write(path: Path, features: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(data, separators=(",", ":")))
    print(f"{path}: {len(features)} features, {path.stat().st_size // 1024} KB")


def countries(source: Path) -> list[dict[str, Any]]:
    found = []
    for f in json.loads((source / "ne_110m_admin_0_countries.geojson").read_text())["features"]:
        p = f["properties"]
        code = p.get("ISO_A2")
        if code == "-99":
            code = A3_TO_A2.get(p.get("ISO_A3_EH") or p.get("ADM0_A3") or "")
        if code and code != "-99":
            found.append(_feature(code, p.get("NAME", ""), f["geometry"]))
    return found


def states(source: Path) -> list[dict[str, Any]]:
    path = source / "ne_50m_admin_1_states_provinces.geojson"
    return [
        _feature(f["properties"]["iso_3166_2"], f["properties"].get("name", ""), f["geometry"])
        for f in json.loads(path.read_text())["features"]
        if f["properties"].get("iso_3166_2")
    ]


def _arcs(topology: dict[str, Any]) -> list[list[list[float]]]:
    """Decode TopoJSON's quantized, delta-encoded arcs into longitude/latitude points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append([x * sx + tx, y * sy + ty])
        decoded.append(points)
    return decoded


def _ring(indexes: list[int], arcs: list[list[list[float]]]) -> list[list[float]]:
    ring: list[list[float]] = []
    for index in indexes:
        # A negative index is the ones' complement of an arc walked backwards.
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(points if not ring else points[1:])
    return ring


def counties(source: Path) -> dict[str, list[dict[str, Any]]]:
    topology = json.loads((source / "counties-10m.json").read_text())
    arcs = _arcs(topology)
    by_state: dict[str, list[dict[str, Any]]] = {}
    for g in topology["objects"]["counties"]["geometries"]:
        if g["type"] == "Polygon":
            geometry = {"type": "Polygon", "coordinates": [_ring(r, arcs) for r in g["arcs"]]}
        elif g["type"] == "MultiPolygon":
            geometry = {
                "type": "MultiPolygon",
                "coordinates": [[_ring(r, arcs) for r in poly] for poly in g["arcs"]],
            }
        else:
            continue
        fips = g["id"]
        feature = _feature(f"fips:{fips}", g.get("properties", {}).get("name", ""), geometry)
        by_state.setdefault(fips[:STATE_FIPS_DIGITS], []).append(feature)
    return by_state


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    _write(target / "countries.json", countries(source))
    by_country: dict[str, list[dict[str, Any]]] = {}
    for feature in states(source):
        by_country.setdefault(feature["properties"]["key"].split("-")[0], []).append(feature)
    for country, features in sorted(by_country.items()):
        _write(target / "states" / f"{country}.json", features)
    for state, features in sorted(counties(source).items()):
        _write(target / "us-counties" / f"{state}.json", features)


if __name__ == "__main__":
    main()
