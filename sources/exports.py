"""The resolved directory as a file: one row (or GeoJSON feature) per public listing.

Only what public pages show: never private contact, never hidden listings.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import IO, Any

from commonweal.lib import csvsafe
from directory.models import Organization
from places.models import Place
from sources.models import SourceRecord

COLUMNS = (
    "id",
    "name",
    "kind",
    "home_place",
    "home_place_code",
    "latitude",
    "longitude",
    "issue_areas",
    "sources",
)
_CHUNK = 5000


def organization_rows() -> Iterator[dict[str, Any]]:
    """Public listings in id order, with their issue areas and the sources that list them."""
    through = Organization.issue_areas.through
    places: dict[int, tuple[str, str]] = {}
    last = 0
    while True:
        chunk = list(
            Organization.objects.public()
            .filter(pk__gt=last)
            .order_by("pk")
            .values("pk", "name", "kind", "home_place_id", "latitude", "longitude")[:_CHUNK]
        )
        if not chunk:
            return
        ids = [row["pk"] for row in chunk]
        last = ids[-1]
        areas: dict[int, list[str]] = defaultdict(list)
        for org_id, slug in (
            through.objects.filter(organization_id__in=ids)
            .order_by("issuearea__slug")
            .values_list("organization_id", "issuearea__slug")
        ):
            areas[org_id].append(slug)
        sources: dict[int, set[str]] = defaultdict(set)
        for org_id, name in (
            SourceRecord.objects.filter(organization_id__in=ids)
            .values_list("organization_id", "source__name")
            .distinct()
        ):
            sources[org_id].add(name)
        wanted = {r["home_place_id"] for r in chunk if r["home_place_id"]} - places.keys()
        for pk, name, code, slug in Place.objects.filter(pk__in=wanted).values_list(
            "pk", "name", "iso_code", "slug"
        ):
            places[pk] = (name, code or slug)
        for row in chunk:
            place = places.get(row["home_place_id"], ("", ""))
            yield {
                "id": row["pk"],
                "name": row["name"],
                "kind": row["kind"],
                "home_place": place[0],
                "home_place_code": place[1],
                "latitude": row["latitude"],
                "longitude": row["longitude"],
                "issue_areas": ";".join(areas.get(row["pk"], [])),
                "sources": ";".join(sorted(sources.get(row["pk"], set()))),
            }


def organizations_write(out: IO[str], fmt: str = "csv") -> int:
    """Write every public listing as CSV or GeoJSON; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csvsafe.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for row in organization_rows():
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
            count += 1
        return count
    if fmt != "geojson":
        raise ValueError(f"unknown format {fmt!r}: use csv or geojson")
    # Written feature by feature, so a million listings never sit in memory as one document.
    out.write('{"type": "FeatureCollection", "features": [\n')
    for row in organization_rows():
        lat, lng = row["latitude"], row["longitude"]
        geometry = (
            {"type": "Point", "coordinates": [lng, lat]}
            if lat is not None and lng is not None
            else None
        )
        feature = {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": row}
        out.write(("," if count else "") + json.dumps(feature, ensure_ascii=False) + "\n")
        count += 1
    out.write("]}\n")
    return count
