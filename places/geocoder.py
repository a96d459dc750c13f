"""Offline geocoding from the place table: place names, US ZIP codes and coordinates.

Everything is held in memory as plain dicts and lists so that a look-up is a handful of
dict probes with no database query; the index is built once per process and rebuilt when the
place table changes (see `get_geocoder`).
"""

import math
import sys
import threading
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import numpy as np
from django.db import connection

from places.geoforward import UNCERTAIN_SHARE, Forward
from places.georesults import Alternative, GeocodeResult, PlaceRef, not_found
from places.geotext import normalize, split_terms

# Where the geocoder's pieces used to live; callers import them from here.
__all__ = [
    "UNCERTAIN_SHARE",
    "Alternative",
    "GeocodeResult",
    "Geocoder",
    "PlaceRef",
    "build_geocoder",
    "get_geocoder",
    "normalize",
    "not_found",
    "reset_geocoder",
    "split_terms",
]


KIND_ORDER = ("world", "country", "state", "county", "locality", "bioregion", "macroregion")
_OVERLAY_KINDS = frozenset({"bioregion", "macroregion"})
# How much a match through each kind of key counts against a match on the place's own name.
_Q_NAME = 1.0
_Q_ALTERNATE_AREA = 0.9  # translations and exonyms of countries and states are reliable
_Q_ALTERNATE_LOCALITY = 0.7  # only cities of 100,000+ keep other names; most are real exonyms
_Q_CODE_COUNTRY = 0.9  # "UK", "DE"
_Q_CODE_STATE = 0.8  # "CA", "BC"
_Q_CODE_COUNTY = 0.5  # "AN" for Ancona, after a town
_Q_COUNTY_SHORT = 0.02  # "Alameda" for Alameda County: usually people mean the city
# Local words for "saint" that people shorten to "St." ("Sankt Pölten", "San Diego" is not one).
_SAINTS = ("sankt ", "sint ", "svaty ", "sveti ", "szent ")
_COUNTY_SUFFIXES = (" county", " parish", " borough", " census area", " municipality")
EARTH_KM = 6371.0
_LABEL_KINDS = frozenset({"state", "country"})
# Localities whose labels and ancestors are remembered between answers (~1 KB each).
_LOCALITY_CONTEXTS = 20_000
# Beyond this distance from every locality, coordinates are "nowhere we know".
REVERSE_MAX_KM = 300.0


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


class Geocoder(Forward):
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
        self._children: dict[int, list[int]] | None = None
        self._around_areas: dict[int, frozenset[int]] = {}
        self._spelling_names: OrderedDict[int, tuple[list[str], list[int]]] = OrderedDict()

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
            own = normalize(self.names[i])
            add(own, i, _Q_NAME)
            # "St. Pölten" reads as "saint polten"; the place is "Sankt Pölten".
            for word in _SAINTS:
                if own.startswith(word):
                    add("saint " + own[len(word) :], i, _Q_NAME)
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
                # Province codes people write after a town: "Jesi (AN)" is Ancona's.
                code = iso.split("-", 1)[1] if "-" in iso else ""
                if code.isalpha() and len(code) >= 2:
                    add(code.lower(), i, _Q_CODE_COUNTY)
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
        return [self.ids[i] for i in self._suggest(text, limit)]

    def suggest_labels(self, text: str, limit: int = 10) -> list[tuple[int, str]]:
        """(id, label) of the places `text` begins to name, biggest first; the labels read back
        as their places. "Portland, O" narrows to the Portlands whose label goes on that way."""
        head, comma, _ = text.partition(",")
        found = self._suggest(head, limit * 5 if comma else limit)
        labels = [self.label(i) for i in found]
        # Two places that read the same are told apart by their county.
        for n, i in enumerate(found):
            if labels.count(labels[n]) > 1:
                county = next((a for a in self.chain(i)[1:] if self.kinds[a] == "county"), -1)
                if county >= 0:
                    name, _, rest = labels[n].partition(", ")
                    labels[n] = f"{name}, {self.names[county]}, {rest}" if rest else name
        pairs = list(zip(found, labels, strict=True))
        if comma:
            wanted = normalize(text)
            pairs = [(i, label) for i, label in pairs if normalize(label).startswith(wanted)]
        out = []
        for i, label in pairs:
            # Only labels that read back as their own place: of a town and a district that
            # read the same ("Camden, New South Wales"), the one a form would not pick goes.
            back = self.geocode(label)
            if back is not None and back.place.id == self.ids[i]:
                out.append((self.ids[i], label))
                if len(out) == limit:
                    break
        return out

    def _suggest(self, text: str, limit: int) -> list[int]:
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
        return [i for i, _ in ranked]


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
