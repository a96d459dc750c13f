"""Offline geocoding from the place table: place names, US ZIP codes and coordinates.

Everything is held in memory as plain dicts and lists so that a look-up is a handful of
dict probes with no database query; the index is built once per process and rebuilt when the
place table changes (see `get_geocoder`).
"""

import math
import re
import string
import sys
import threading
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from django.db import connection

# Letters NFKD cannot split into a base letter and an accent.
_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "œ": "oe", "ı": "i", "ß": "ss"}
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Dots and apostrophes join ("U.S.A." → "usa", "O'Fallon" → "ofallon"); other punctuation splits.
_JOINERS = ".'’ʻ`´"
_SPLITTERS = re.compile(r"[\W_]+")
_ASCII_PUNCTUATION = (string.punctuation + string.whitespace).encode()
_ASCII_TABLE = bytes.maketrans(_ASCII_PUNCTUATION, b" " * len(_ASCII_PUNCTUATION))
_ASCII_JOINERS = b".'`"
_JOIN_TABLE = {ord(c): None for c in _JOINERS}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}


def normalize(text: str) -> str:
    """The form names are compared in: lower case, no accents, single spaces, common
    abbreviations spelled out ("St. Helens" and "Saint Helens" meet)."""
    s = text.casefold()
    if s.isascii():
        # bytes.translate is ~10x faster than str.translate; this path runs per look-up.
        tokens = s.encode().translate(_ASCII_TABLE, _ASCII_JOINERS).decode().split()
    else:
        s = _COMBINING.sub("", unicodedata.normalize("NFKD", s))
        tokens = _SPLITTERS.sub(" ", s.translate(_FOLD).translate(_JOIN_TABLE)).split()
    if _ABBREVIATIONS.keys().isdisjoint(tokens):
        return " ".join(tokens)
    return " ".join([_ABBREVIATIONS.get(t, t) for t in tokens])


# --------------------------------------------------------------------------- results

KIND_ORDER = ("world", "country", "state", "county", "locality", "bioregion", "macroregion")
_QUALIFIER_KINDS = frozenset({"country", "state", "county", "bioregion", "macroregion"})
_OVERLAY_KINDS = frozenset({"bioregion", "macroregion"})
# How much a match through each kind of key counts against a match on the place's own name.
_Q_NAME = 1.0
_Q_ALTERNATE_AREA = 0.9  # translations and exonyms of countries and states are reliable
_Q_ALTERNATE_LOCALITY = 0.7  # only cities of 100,000+ keep other names; most are real exonyms
_Q_CODE_COUNTRY = 0.9  # "UK", "DE"
_Q_CODE_STATE = 0.8  # "CA", "BC"
_Q_COUNTY_SHORT = 0.02  # "Alameda" for Alameda County: usually people mean the city
# An answer is "uncertain" when other places of that name hold this share of the weight or
# more: "London" (Ontario has 400,000 people) is, "Berlin" (New Hampshire has 10,000) is not.
UNCERTAIN_SHARE = 0.02
_COUNTY_SUFFIXES = (" county", " parish", " borough", " census area", " municipality")
_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_SEPARATORS = re.compile(r"[\s,]+")
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
EARTH_KM = 6371.0
_LABEL_KINDS = frozenset({"state", "country"})
# Localities whose labels and ancestors are remembered between answers (~1 KB each).
_LOCALITY_CONTEXTS = 20_000
# Beyond this distance from every locality, coordinates are "nowhere we know".
REVERSE_MAX_KM = 300.0


@dataclass(frozen=True, slots=True)
class PlaceRef:
    id: int
    name: str
    kind: str
    iso_code: str
    slug: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "iso_code": self.iso_code,
            "slug": self.slug,
        }


@dataclass(frozen=True, slots=True)
class Alternative:
    place: PlaceRef
    label: str
    latitude: float | None
    longitude: float | None
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place.to_dict(),
            "label": self.label,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "share": self.share,
        }


@dataclass(slots=True)
class GeocodeResult:
    """One answer. `ancestors` run from the world down to the place's parent; `overlays` are
    the regions (bioregions, macro-regions) that contain the place."""

    query: str
    place: PlaceRef
    label: str
    ancestors: list[PlaceRef]
    overlays: list[PlaceRef]
    latitude: float | None
    longitude: float | None
    confidence: float
    uncertain: bool
    match: str
    distance_km: float | None = None
    # Other places the text may mean, made on first use: most callers only want the answer.
    _others: Callable[[], list[Alternative]] | None = None
    _alternatives: list[Alternative] | None = None

    @property
    def alternatives(self) -> list[Alternative]:
        if self._alternatives is None:
            self._alternatives = self._others() if self._others else []
            self._others = None
        return self._alternatives

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query,
            "found": True,
            "place": self.place.to_dict(),
            "label": self.label,
            "ancestors": [a.to_dict() for a in self.ancestors],
            "overlays": [o.to_dict() for o in self.overlays],
            "latitude": self.latitude,
            "longitude": self.longitude,
            "confidence": self.confidence,
            "uncertain": self.uncertain,
            "match": self.match,
            "alternatives": [a.to_dict() for a in self.alternatives],
        }
        if self.distance_km is not None:
            out["distance_km"] = self.distance_km
        return out


def not_found(query: str, reason: str = "No place matches this text.") -> dict[str, Any]:
    """The JSON shape for a query with no answer."""
    return {"query": query, "found": False, "error": reason}


# --------------------------------------------------------------------------- the index


# The columns a geocoder is built from, in this order.
PLACE_COLUMNS = (
    "id",
    "name",
    "kind",
    "iso_code",
    "slug",
    "parent_id",
    "latitude",
    "longitude",
    "population",
    "alternate_names",
)
# When a city and an area share a name ("Paris", "Tokyo", "Wien"), people mostly mean the city:
# areas count for a share of the people living in them.
_KIND_FACTOR = {"state": 0.25, "county": 0.2}


_Context = tuple[PlaceRef, str, tuple[PlaceRef, ...], tuple[PlaceRef, ...], str]


class Geocoder:
    """An in-memory index of every place name. The application gets the shared one with
    `get_geocoder()`; tests may build one from rows of `PLACE_COLUMNS`."""

    def __init__(
        self,
        rows: Iterable[tuple[Any, ...]],
        members: Iterable[tuple[int, int]] = (),
        zip_rows: Iterable[dict[str, Any]] | Callable[[], Iterable[dict[str, Any]]] = (),
    ) -> None:
        ids: list[int] = []
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.iso: list[str] = []
        self.slugs: list[str] = []
        self.lat: list[float | None] = []
        self.lng: list[float | None] = []
        parent_ids: list[int | None] = []
        population: list[float] = []
        alternates: dict[int, str] = {}
        for n, row in enumerate(rows):
            pk, name, kind, iso, slug, parent_id, lat, lng, pop, alt = row
            ids.append(pk)
            self.names.append(name)
            self.kinds.append(sys.intern(kind))
            self.iso.append(sys.intern(iso))
            self.slugs.append(slug)
            self.lat.append(lat)
            self.lng.append(lng)
            parent_ids.append(parent_id)
            population.append(float(pop or 0))
            if alt:
                alternates[n] = alt
        self.size = len(ids)
        self.ids = ids
        index_of_id = {pk: i for i, pk in enumerate(ids)}
        self.parent = [index_of_id.get(p, -1) if p else -1 for p in parent_ids]
        del parent_ids
        self._contexts: dict[int, _Context] = {}
        self._locality_contexts: dict[int, _Context] = {}

        # Overlay regions: which regions each member place belongs to.
        self.overlays_of: dict[int, list[int]] = defaultdict(list)
        self.members_of: dict[int, set[int]] = defaultdict(set)
        for region_id, member_id in members:
            r, m = index_of_id.get(region_id), index_of_id.get(member_id)
            if r is not None and m is not None:
                self.overlays_of[m].append(r)
                self.members_of[r].add(m)

        # How much each place "weighs" when several share a name: its population, or for an
        # area the people of the localities in it (GeoNames has no state populations).
        inside = [0.0] * self.size
        for i in range(self.size):
            if self.kinds[i] == "locality" and population[i]:
                p = self.parent[i]
                while p >= 0:
                    inside[p] += population[i]
                    p = self.parent[p]
        weight = population
        for i in range(self.size):
            if self.kinds[i] in ("state", "county", "world") or not weight[i]:
                weight[i] = max(weight[i], inside[i])
        for r_idx, member_set in self.members_of.items():
            weight[r_idx] = sum(weight[m] for m in member_set)
        self.weight = [max(w, 100.0) for w in weight]
        del inside

        self._build_names(alternates)
        # Built on first use: a process that only ever looks up names skips scipy and ZIPs.
        self._tree: Any = None
        self._localities: np.ndarray | None = None
        self._zip_source = zip_rows
        self._zips: dict[str, str] | None = None
        self._zip_places: dict[str, tuple[int, float]] = {}
        self._build_lock = threading.Lock()

    def warm(self) -> "Geocoder":
        """Build the lazy parts now (benchmarks and long-running servers)."""
        self._reverse_index()
        self._zip_table()
        return self

    def chain(self, i: int) -> list[int]:
        """The place and its ancestors, itself first."""
        out = [i]
        p = self.parent[i]
        while p >= 0:
            out.append(p)
            p = self.parent[p]
        return out

    # -- building

    def _build_names(self, alternates: dict[int, str]) -> None:
        keys: dict[str, Any] = {}

        def add(key: str, i: int, quality: float) -> None:
            if not key:
                return
            score = self.weight[i] * quality * _KIND_FACTOR.get(self.kinds[i], 1.0)
            found = keys.get(key)
            if found is None:
                keys[key] = (i, score)
            elif isinstance(found, tuple):
                if found[0] == i:
                    keys[key] = (i, max(score, found[1]))
                else:
                    keys[key] = {found[0]: found[1], i: score}
            elif score > found.get(i, 0.0):
                found[i] = score

        for i in range(self.size):
            kind = self.kinds[i]
            if kind == "world":
                add("world", i, _Q_NAME)
                continue
            add(normalize(self.names[i]), i, _Q_NAME)
            alt = alternates.get(i)
            if alt:
                quality = _Q_ALTERNATE_LOCALITY if kind == "locality" else _Q_ALTERNATE_AREA
                for name in alt.splitlines():
                    add(normalize(name), i, quality)
            iso = self.iso[i]
            if kind == "country" and iso:
                add(iso.lower(), i, _Q_CODE_COUNTRY)
            elif kind == "state" and "-" in iso:
                code = iso.split("-", 1)[1]
                if code.isalpha() and len(code) >= 2:
                    add(code.lower(), i, _Q_CODE_STATE)
            elif kind == "county":
                norm = normalize(self.names[i])
                for suffix in _COUNTY_SUFFIXES:
                    if norm.endswith(suffix):
                        add(norm[: -len(suffix)], i, _Q_COUNTY_SHORT)
        # Most names belong to one place: keep those as a bare index (a few bytes instead of a
        # few tuples), and the rest as (candidates best first, their total score).
        self.index: dict[str, Any] = {}
        for key, found in keys.items():
            if isinstance(found, tuple):
                self.index[key] = found[0] if found[1] == self._own_score(found[0]) else found
            else:
                ranked = tuple(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
                self.index[key] = (ranked, sum(found.values()))
        self.sorted_keys = sorted(self.index)
        self.state_by_iso = {
            self.iso[i]: i for i in range(self.size) if self.kinds[i] == "state" and self.iso[i]
        }

    def _own_score(self, i: int) -> float:
        return self.weight[i] * _KIND_FACTOR.get(self.kinds[i], 1.0)

    def candidates(self, key: str) -> tuple[tuple[tuple[int, float], ...], float] | None:
        """The places a normalized name may mean, best first, with their total score."""
        found = self.index.get(key)
        if found is None:
            return None
        if isinstance(found, int):
            score = self._own_score(found)
            return ((found, score),), score
        if isinstance(found[0], int):
            return (found,), found[1]
        return found

    def _reverse_index(self) -> tuple[Any, np.ndarray]:
        if self._tree is None:
            with self._build_lock:
                if self._tree is None:
                    from scipy.spatial import cKDTree

                    located = [
                        i
                        for i in range(self.size)
                        if self.kinds[i] == "locality" and self.lat[i] is not None
                    ]
                    lat = np.radians(np.array([self.lat[i] for i in located], dtype=float))
                    lng = np.radians(np.array([self.lng[i] for i in located], dtype=float))
                    points = np.column_stack(
                        (np.cos(lat) * np.cos(lng), np.cos(lat) * np.sin(lng), np.sin(lat))
                    ).reshape(-1, 3)
                    self._localities = np.array(located, dtype=np.int64)
                    self._tree = cKDTree(points) if located else False
        assert self._localities is not None
        return self._tree, self._localities

    def _zip_table(self) -> dict[str, str]:
        """ZIP code → "city\tstate\tcounty\tlat\tlng" (normalized names).

        One string per code: the source is 42k dicts of ~15 fields, and keeping only a line
        each (made before any of them is kept) holds ~10 MB instead of ~150 MB of scattered
        heap."""
        if self._zips is None:
            with self._build_lock:
                if self._zips is None:
                    source = self._zip_source() if callable(self._zip_source) else self._zip_source
                    packed = "\n".join(
                        "\t".join(
                            (
                                z["zip_code"],
                                normalize(z.get("city") or ""),
                                z.get("state") or "",
                                normalize(z.get("county") or ""),
                                z.get("lat") or "",
                                z.get("long") or "",
                            )
                        )
                        for z in source
                    )
                    del source
                    self._zip_source = ()
                    self._zips = {line[:5]: line[6:] for line in packed.splitlines()}
        return self._zips

    # -- pieces of answers

    def ref(self, i: int) -> PlaceRef:
        return PlaceRef(self.ids[i], self.names[i], self.kinds[i], self.iso[i], self.slugs[i])

    def label(self, i: int) -> str:
        """ "Oakland, California, United States": the place, its state and its country."""
        return self._context(i)[1]

    def _inside_all(self, i: int, qualifiers: list[list[int]]) -> bool:
        """Whether place i lies in one of the areas each qualifier may mean."""
        chain = self.chain(i)
        for areas in qualifiers:
            for a in areas:
                members = self.members_of.get(a)
                inside = (a in chain) if members is None else not members.isdisjoint(chain)
                if inside:
                    break
            else:
                return False
        return True

    def _inside(self, i: int, area: int) -> bool:
        members = self.members_of.get(area)
        if members is not None:
            return any(a in members for a in self.chain(i))
        while i >= 0:
            if i == area:
                return True
            i = self.parent[i]
        return False

    def _context(self, i: int) -> _Context:
        """A place's reference, label, ancestors (root first), regions, and the ", "-joined
        state and country names at or above it. Built from the parent's, which is kept: the
        few thousand areas are shared by every answer below them."""
        context = self._contexts.get(i) or self._locality_contexts.get(i)
        if context is not None:
            return context
        kind, name = self.kinds[i], self.names[i]
        own = tuple(self.ref(r) for r in self.overlays_of.get(i, ()))
        p = self.parent[i]
        if p < 0:
            context = (self.ref(i), name, (), own, name if kind in _LABEL_KINDS else "")
        else:
            parent_ref, _, ancestors, overlays, tail = self._context(p)
            label = f"{name}, {tail}" if tail else name
            if own:
                overlays = own + tuple(o for o in overlays if o not in own)
            context = (
                self.ref(i),
                label,
                (*ancestors, parent_ref),
                overlays,
                label if kind in _LABEL_KINDS else tail,
            )
        if kind != "locality":
            self._contexts[i] = context
        else:
            # Areas are kept for good; localities only while there is room.
            if len(self._locality_contexts) >= _LOCALITY_CONTEXTS:
                self._locality_contexts.clear()
            self._locality_contexts[i] = context
        return context

    def _result(
        self,
        query: str,
        i: int,
        *,
        confidence: float,
        uncertain: bool,
        match: str,
        others: Iterable[tuple[int, float]] = (),
        point: tuple[float | None, float | None] | None = None,
        distance_km: float | None = None,
    ) -> GeocodeResult:
        lat, lng = point if point else (self.lat[i], self.lng[i])
        ref, label, ancestors, overlays, _ = self._context(i)
        return GeocodeResult(
            query=query,
            place=ref,
            label=label,
            ancestors=list(ancestors),
            overlays=list(overlays),
            latitude=lat,
            longitude=lng,
            confidence=round(max(0.0, min(1.0, confidence)), 3),
            uncertain=uncertain,
            match=match,
            distance_km=distance_km,
            _others=partial(self._alternatives, others) if others else None,
        )

    def _alternatives(self, others: Iterable[tuple[int, float]]) -> list[Alternative]:
        out = []
        for j, share in others:
            ref, label, _, _, _ = self._context(j)
            out.append(Alternative(ref, label, self.lat[j], self.lng[j], round(share, 3)))
        return out

    # -- forward

    def geocode(self, text: str) -> GeocodeResult | None:
        """The place `text` names, or None. Understands "Oakland, CA", "Ripon, North
        Yorkshire", "Portland OR", ZIP codes ("94612", "94612-1234"), countries and states in
        many languages and codes ("Deutschland", "UK", "BC, Canada"), and "lat, lng"."""
        query = text.strip()
        if not query:
            return None
        # Most queries are names: only look for numbers when the text ends in a digit.
        postcode = None
        words = query
        if query[-1].isdigit():
            coords = _COORDINATES.match(query)
            if coords:
                lat, lng = float(coords.group(1)), float(coords.group(2))
                if -90 <= lat <= 90 and -180 <= lng <= 180:
                    return self.reverse(lat, lng, query=query)
            last = _SEPARATORS.split(query)[-1]
            postcode = _ZIP.match(last)
        if postcode:
            if postcode.group(1) in self._zip_table():
                return self._zip(query, postcode.group(1))
            # "Oakland, CA 99999": a code we do not know; try the words before it.
            words = query[: query.rfind(last)]
        parts = [p for p in (normalize(x) for x in words.split(",")) if p]
        if not parts:
            return None
        head, qualifiers = parts[0], parts[1:]
        if not qualifiers and head not in self.index:
            head, qualifiers = self._split_words(head)
        return self._named(query, head, qualifiers)

    def _split_words(self, text: str) -> tuple[str, list[str]]:
        """ "portland or" → ("portland", ["or"]); "ripon north yorkshire" → ("ripon",
        ["north yorkshire"]): the longest known head, then known qualifiers."""
        words = text.split()
        for cut in range(len(words) - 1, 0, -1):
            head = " ".join(words[:cut])
            if head not in self.index:
                continue
            rest = words[cut:]
            quals: list[str] = []
            while rest:
                for take in range(len(rest), 0, -1):
                    piece = " ".join(rest[:take])
                    if piece in self.index:
                        quals.append(piece)
                        rest = rest[take:]
                        break
                else:
                    break
            if not rest:
                return head, quals
        return text, []

    def _areas(self, key: str) -> list[int]:
        entry = self.candidates(key)
        if entry is None:
            return []
        return [i for i, _ in entry[0] if self.kinds[i] in _QUALIFIER_KINDS]

    def _named(self, query: str, head: str, qualifiers: list[str]) -> GeocodeResult | None:
        entry = self.candidates(head)
        areas = [self._areas(q) for q in qualifiers]
        known = [a for a in areas if a]
        penalty = 0.6 if len(known) < len(areas) else 1.0
        if entry is None:
            if known:
                # "Nowhere, Oregon": answer with the area we did recognise, unsure.
                best = known[-1][0]
                return self._result(query, best, confidence=0.3, uncertain=True, match="area")
            return None
        ranked, total = entry
        if known:
            ranked = tuple((i, s) for i, s in ranked if self._inside_all(i, known))
            if not ranked:
                best = max(known[0], key=lambda a: self.weight[a])
                return self._result(
                    query,
                    best,
                    confidence=0.3,
                    uncertain=True,
                    match="area",
                    others=[(i, 0.0) for i, _ in entry[0][:5]],
                )
            total = sum(s for _, s in ranked)
        best, score = ranked[0]
        share = score / total if total else 1.0
        base = 1.0 if known else 0.9
        confidence = base * penalty * share
        uncertain = (1.0 - share) >= UNCERTAIN_SHARE or penalty < 1.0
        others = [(i, s / total) for i, s in ranked[1:6]] if len(ranked) > 1 else []
        return self._result(
            query, best, confidence=confidence, uncertain=uncertain, match="name", others=others
        )

    def _zip(self, query: str, code: str) -> GeocodeResult | None:
        city, state, county, lat_text, lng_text = self._zip_table()[code].split("\t")
        lat = float(lat_text) if lat_text else None
        lng = float(lng_text) if lng_text else None
        cached = self._zip_places.get(code)
        if cached is None:
            cached = self._zip_place(city, state, county)
            self._zip_places[code] = cached
        i, confidence = cached
        if i < 0:
            return None
        return self._result(
            query,
            i,
            confidence=confidence,
            uncertain=confidence < 0.9,
            match="postcode",
            point=(lat, lng) if lat is not None else None,
        )

    def _zip_place(self, city: str, state: str, county: str) -> tuple[int, float]:
        """A ZIP code's locality (its own county first), else its county, else its state."""
        state_i = self.state_by_iso.get(f"US-{state}", -1)
        if state_i < 0:
            return -1, 0.0
        county_i = -1
        for i, _ in (self.candidates(county) or ((), 0.0))[0]:
            if self.kinds[i] == "county" and self.parent[i] == state_i:
                county_i = i
                break
        named = (self.candidates(city) or ((), 0.0))[0]
        in_state = [i for i, _ in named if self._inside(i, state_i)]
        in_state = [i for i in in_state if self.kinds[i] == "locality"]
        for i in in_state:
            if county_i < 0 or self._inside(i, county_i):
                return i, 1.0
        if in_state:
            return in_state[0], 0.9
        if county_i >= 0:
            return county_i, 0.8
        return state_i, 0.6

    # -- reverse

    def reverse(self, lat: float, lng: float, *, query: str = "") -> GeocodeResult | None:
        """The nearest locality to (lat, lng) with its ancestors and overlay regions."""
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
            raise ValueError("latitude must be within ±90 and longitude within ±180")
        tree, localities = self._reverse_index()
        if tree is False:
            return None
        la, lo = math.radians(lat), math.radians(lng)
        point = (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))
        chord, k = tree.query(point)
        return self._nearest(query or f"{lat}, {lng}", int(localities[k]), float(chord))

    def reverse_many(self, points: Iterable[tuple[float, float]]) -> list[GeocodeResult | None]:
        """`reverse` for many points in one tree query (~10x faster per point than one by one:
        most of a single query's time is scipy's per-call overhead)."""
        pts = np.asarray(list(points), dtype=float).reshape(-1, 2)
        if len(pts) == 0:
            return []
        lat, lng = pts[:, 0], pts[:, 1]
        if (np.abs(lat) > 90).any() or (np.abs(lng) > 180).any():
            raise ValueError("latitude must be within ±90 and longitude within ±180")
        tree, localities = self._reverse_index()
        if tree is False:
            return [None] * len(pts)
        la, lo = np.radians(lat), np.radians(lng)
        vectors = np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))
        chords, ks = tree.query(vectors)
        return [
            self._nearest(f"{a}, {b}", int(localities[k]), float(c))
            for (a, b), c, k in zip(pts.tolist(), chords, ks, strict=True)
        ]

    def _nearest(self, query: str, i: int, chord: float) -> GeocodeResult | None:
        km = 2 * EARTH_KM * math.asin(min(1.0, chord / 2))
        if km > REVERSE_MAX_KM:
            return None
        # Inside a town is a sure answer; tens of km away it is only the nearest we know.
        confidence = 1.0 if km <= 5 else max(0.2, 1.0 - (km - 5) / 100)
        return self._result(
            query,
            i,
            confidence=confidence,
            uncertain=km > 25,
            match="nearest",
            distance_km=round(km, 2),
        )

    # -- autocomplete

    def suggest(self, text: str, limit: int = 10) -> list[int]:
        """Place ids whose names start with `text`, biggest first."""
        prefix = normalize(text)
        if not prefix or limit <= 0:
            return []
        start = bisect_left(self.sorted_keys, prefix)
        best: dict[int, float] = {}
        # A short prefix can match tens of thousands of names; the first few thousand in
        # alphabetical order, ranked by weight, are a good enough answer for a suggestion box.
        for key in self.sorted_keys[start : start + 5000]:
            if not key.startswith(prefix):
                break
            for i, score in self.candidates(key)[0][:3]:  # type: ignore[index]
                if score > best.get(i, 0.0):
                    best[i] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [self.ids[i] for i, _ in ranked]


# --------------------------------------------------------------------------- the shared one


def _signature() -> tuple[Any, ...]:
    """Cheap facts that change whenever places do: each is an index look-up."""
    from places.models import Place, PlacesState

    table = connection.ops.quote_name(Place._meta.db_table)
    members = connection.ops.quote_name(Place.members.through._meta.db_table)
    state = connection.ops.quote_name(PlacesState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {table}), (SELECT MAX(lft) FROM {table}), "
            f"(SELECT MAX(version) FROM {state}), (SELECT MAX(id) FROM {members})"
        )
        return tuple(cursor.fetchone())


def build_geocoder() -> Geocoder:
    """A fresh geocoder from the place table (seconds for the whole world)."""
    from places.models import Place

    has_us = Place.objects.filter(kind="country", iso_code="US").exists()
    rows = Place.objects.order_by().values_list(*PLACE_COLUMNS).iterator(chunk_size=5000)
    members = Place.members.through.objects.values_list("from_place_id", "to_place_id")
    return Geocoder(rows, list(members), _us_zip_codes if has_us else ())


def _us_zip_codes() -> Iterator[dict[str, Any]]:
    import zipcodes

    # A tenth at a time: the package hands out ~2 KB dicts, and 42k of them at once leave
    # tens of MB of scattered heap behind (list_all() even keeps its own copy for good).
    for digit in "0123456789":
        yield from zipcodes.similar_to(digit)


_lock = threading.Lock()
_shared: tuple[tuple[Any, ...], Geocoder] | None = None


def get_geocoder() -> Geocoder:
    """The process-wide geocoder, built on first use and rebuilt when places change."""
    global _shared
    signature = _signature()
    current = _shared
    if current is not None and current[0] == signature:
        return current[1]
    with _lock:
        if _shared is None or _shared[0] != signature:
            _shared = (signature, build_geocoder())
        return _shared[1]


def reset_geocoder() -> None:
    """Forget the shared geocoder (tests that rewrite places in place call this)."""
    global _shared
    with _lock:
        _shared = None
