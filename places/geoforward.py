"""Forward geocoding: from what people type ("Brixton, Lambeth", "Portland OR", "94612") to a
place, or to an honest "not sure" with the other places it may mean.

Every term of a text constrains the others, in any order: a candidate for one term only counts
when each other term names a place that contains it, lies inside it, or lies within a few km of
it ("London, Camden": the borough is in the city without being under it in the tree). Of the
places a consistent reading names, the answer is the most specific one.
"""

import math
import re
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from places.georesults import GeocodeResult
from places.geotext import normalize, split_terms

_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_SEPARATORS = re.compile(r"[\s,]+")
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
# An answer is "uncertain" when other places of that name hold this share of the weight or
# more: "London" (Ontario has 400,000 people) is, "Berlin" (New Hampshire has 10,000) is not.
UNCERTAIN_SHARE = 0.02
# Candidates of one term weighed against the other terms; past these the names are hamlets.
TERM_CANDIDATES = 40
# Two places named in one text that lie this close together go together.
NEAR_KM = 30.0
_NEAR_KINDS = frozenset({"locality", "county"})
_AREA_KINDS = frozenset({"state", "county"})
# A town named like the state or county it is in is what people mean by the bare name
# ("Valencia", "New York") once it has this many people.
NAMESAKE_MIN_POPULATION = 1000.0
# Near-miss spellings ("Fredrick, MD") are looked for inside the areas the other terms name.
SPELLING_MIN_RATIO = 90.0
SPELLING_MAX_NAMES = 5000
_SPELLING_KINDS = frozenset({"state", "county", "bioregion"})
# What a term that fits no reading of the others costs that reading ("Jesi, Xx, Italy").
MISSING_TERM = 0.02
# Past this many people a town holds districts that people name beside it ("London, Camden").
BIG_CITY = 1_000_000.0
_SPELLING_AREAS = 64

# The shortest known start of an unknown text read as a town on its own.
MIN_HEAD = 4
# Names that begin with an unknown text, looked through for a shortened name ("Braunau").
SHORTENED_KEYS = 200

_Entry = tuple[tuple[tuple[int, float], ...], float]


class Forward:
    """The forward half of `places.geocoder.Geocoder`, which provides the index and helpers
    declared here."""

    index: dict[str, Any]
    sorted_keys: list[str]
    kinds: list[str]
    names: list[str]
    parent: list[int]
    weight: list[float]
    lat: list[float | None]
    lng: list[float | None]
    size: int
    overlays_of: dict[int, list[int]]
    state_by_iso: dict[str, int]
    candidates: Callable[[str], _Entry | None]
    chain: Callable[[int], list[int]]
    _zip_table: Callable[[], dict[str, str]]
    _result: Callable[..., GeocodeResult]
    _inside: Callable[[int, int], bool]
    _zip_places: dict[str, tuple[int, float]]
    _children: dict[int, list[int]] | None
    _spelling_names: "OrderedDict[int, tuple[list[str], list[int]]]"
    _around_areas: dict[int, frozenset[int]]

    def geocode(self, text: str) -> GeocodeResult | None:
        """The place `text` names, or None. Understands "Oakland, CA", "Ripon, North
        Yorkshire", "Portland OR", "Chiaravalle (AN), Italy", ZIP codes ("94612"), countries
        and states in many languages and codes ("Deutschland", "UK", "BC, Canada"), and
        "lat, lng"."""
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
        terms = self.terms(words)
        if not terms:
            return None
        return self._named(query, terms)

    def reverse(self, lat: float, lng: float, *, query: str = "") -> GeocodeResult | None:
        raise NotImplementedError

    # -- reading the text

    def terms(self, text: str) -> list[str]:
        """The normalized terms of `text`: parts that together make one known name are joined
        ("Rhondda, Cynon, Taff"), and a part that is no name is split into the ones it holds
        ("portland or" → "portland", "or")."""
        parts = split_terms(text)
        if len(parts) == 1 and parts[0] in self.index:
            return parts
        out: list[str] = []
        i = 0
        while i < len(parts):
            for j in range(len(parts), i + 1, -1):
                joined = " ".join(parts[i:j])
                if joined in self.index:
                    out.append(joined)
                    i = j
                    break
            else:
                out.extend(self._split_words(parts[i]))
                i += 1
        return out

    def _split_words(self, text: str) -> list[str]:
        """ "portland or" → ["portland", "or"]; "ripon north yorkshire" → ["ripon", "north
        yorkshire"]: the longest known head, then known pieces. Text that splits into no known
        names stays whole (an unknown term)."""
        if text in self.index:
            return [text]
        words = text.split()
        for cut in range(len(words) - 1, 0, -1):
            head = " ".join(words[:cut])
            if head not in self.index:
                continue
            rest = words[cut:]
            pieces: list[str] = []
            while rest:
                for take in range(len(rest), 0, -1):
                    piece = " ".join(rest[:take])
                    if piece in self.index:
                        pieces.append(piece)
                        rest = rest[take:]
                        break
                else:
                    break
            if not rest:
                return [head, *pieces]
        # "Stuttgart-Möhringen", "Velbert-Neviges": a known town, then a district we do not
        # know; the town is read and the rest is an unknown term, so the answer is unsure.
        for cut in range(len(words) - 1, 0, -1):
            head = " ".join(words[:cut])
            if len(head) >= MIN_HEAD and head in self.index:
                return [head, " ".join(words[cut:])]
        # "HEADINGTON Oxford", "Wadhurst East Sussex": a village we do not know, then the town
        # or county it is in; the answer falls back to that, unsure.
        for cut in range(1, len(words)):
            tail = " ".join(words[cut:])
            if len(tail) >= MIN_HEAD and tail in self.index:
                return [" ".join(words[:cut]), tail]
        return [text]

    # -- weighing the terms against each other

    def _named(self, query: str, terms: list[str]) -> GeocodeResult | None:
        entries = [self.candidates(t) for t in terms]
        known = [e for e in entries if e is not None]
        if not known:
            return None
        unknown = len(entries) - len(known)
        answers, partial = self._solve(known) if entries[0] is not None else ([], set())
        if not answers:
            # The first term is no name we know ("Fredrick, MD", "Nowhereville, Oregon") or no
            # reading fits it to the others ("Berkeley, Oregon"): a near-miss spelling inside
            # the areas the other terms name, else the most specific of those areas; unsure.
            rest = known if entries[0] is None else known[1:]
            areas = self._areas_of(rest)
            if len(terms) > 2 and entries[0] is None and entries[1] is not None:
                # "Bowlinrg Green, KY" was cut into an unknown word and "Green": spell the two
                # together inside what the terms after them name.
                later = [e for e in entries[2:] if e is not None]
                spelled = self._spelled(query, f"{terms[0]} {terms[1]}", self._areas_of(later))
                if spelled is not None:
                    return spelled
            spelled = self._spelled(query, terms[0], areas)
            if spelled is not None:
                return spelled
            if not areas:
                return None
            return self._result(
                query,
                areas[0],
                confidence=0.3,
                uncertain=True,
                match="area",
                others=[(i, 0.0) for i, _ in entries[0][0][:5]] if entries[0] else [],
            )
        total = sum(s for _, s in answers)
        best, score = answers[0]
        share = score / total if total else 1.0
        penalty = 0.6 if unknown or best in partial else 1.0
        base = 1.0 if len(known) > 1 else 0.9
        return self._result(
            query,
            best,
            confidence=base * penalty * share,
            uncertain=(1.0 - share) >= UNCERTAIN_SHARE or penalty < 1.0,
            match="name",
            others=[(i, s / total) for i, s in answers[1:6]] if total else [],
        )

    def _areas_of(self, entries: list[_Entry]) -> list[int]:
        """The places the terms name together, dropping leading terms until they agree, areas
        before towns ("Plockton, Highland": the council area, not Highland, California)."""
        for start in range(len(entries)):
            answers, _ = self._solve(entries[start:])
            if answers:
                places = [i for i, _ in answers]
                areas = [i for i in places if self.kinds[i] != "locality"]
                return areas + [i for i in places if self.kinds[i] == "locality"]
        return []

    def _solve(self, entries: list[_Entry]) -> tuple[list[tuple[int, float]], set[int]]:
        """The places the terms may mean together, best first, with their weight: readings
        where the other terms name places related to the first term's place. A term that fits
        no reading costs much but does not veto it, provided another term fits ("Jesi, Xx,
        Italy"); such answers come back in the second value."""
        answers: dict[int, float] = {}
        partial: set[int] = set()
        ranked, total = entries[0]
        if len(entries) == 1:
            for i, s in ranked[:TERM_CANDIDATES]:
                j = self._namesake(i, ranked)
                answers[j] = answers.get(j, 0.0) + (s / total if total else 1.0)
            return sorted(answers.items(), key=lambda kv: (-kv[1], kv[0])), partial
        others = [[y for y, _ in r[:TERM_CANDIDATES]] for r, _ in entries[1:]]
        best_score = 0.0
        full: set[int] = set()
        for x, sx in ranked[:TERM_CANDIDATES]:
            share = sx / total if total else 1.0
            # Candidates come best first: past this, none can change the answer.
            if share < best_score * UNCERTAIN_SHARE / 2:
                break
            around_x = self._around(x)
            score = share
            members = [(x, ranked)]
            misses = 0
            for term, candidates in zip(entries[1:], others, strict=True):
                # How common the qualifier's reading is does not matter, only that it fits:
                # "CA" is mostly Canada, yet "Oakland, CA" is sure. A place holding x is the
                # usual fit and the cheapest to see; inside or beside x comes next.
                fit = next((y for y in candidates if y in around_x), -1)
                if fit < 0:
                    fit = next(
                        (y for y in candidates if x in self._around(y) or self._near(x, y)), -1
                    )
                if fit >= 0:
                    members.append((fit, term[0]))
                else:
                    score *= MISSING_TERM
                    misses += 1
            if misses == len(others):
                continue
            answer, own = self._most_specific(members)
            answer = self._namesake(answer, own)
            answers[answer] = answers.get(answer, 0.0) + score
            if not misses:
                full.add(answer)
            best_score = max(best_score, score)
        if full:
            # Readings that fit every term leave no room for those that do not.
            answers = {i: s for i, s in answers.items() if i in full}
        else:
            partial = set(answers)
        return sorted(answers.items(), key=lambda kv: (-kv[1], kv[0])), partial

    def _around(self, i: int) -> frozenset[int]:
        """The place, its ancestors and the overlay regions that hold any of them (kept for
        areas, which are few and asked about in almost every text)."""
        found = self._around_areas.get(i)
        if found is not None:
            return found
        chain = self.chain(i)
        regions = [r for a in chain for r in self.overlays_of.get(a, ())]
        found = frozenset(chain + regions) if regions else frozenset(chain)
        if self.kinds[i] != "locality":
            self._around_areas[i] = found
        return found

    def _near(self, a: int, b: int) -> bool:
        if self.kinds[a] not in _NEAR_KINDS or self.kinds[b] not in _NEAR_KINDS:
            return False
        la, lb = self.lat[a], self.lat[b]
        ga, gb = self.lng[a], self.lng[b]
        if la is None or lb is None or ga is None or gb is None:
            return False
        # Equirectangular distance: exact enough at tens of km, and cheap.
        dx = (ga - gb) * math.cos(math.radians((la + lb) / 2))
        return 111.2 * math.hypot(la - lb, dx) <= NEAR_KM

    def _most_specific(
        self, members: list[tuple[int, tuple[tuple[int, float], ...]]]
    ) -> tuple[int, tuple[tuple[int, float], ...]]:
        """Of a reading's places, one that holds none of the others. Of places side by side,
        a town before a district ("Walthamstow, Waltham Forest") unless the town is a big city
        ("London, Camden": the borough), and of towns the one named first ("Brixton,
        Lambeth")."""
        inner = [
            (m, ranked)
            for m, ranked in members
            if not any(o != m and m in self._around(o) for o, _ in members)
        ] or members
        towns = [mr for mr in inner if self.kinds[mr[0]] == "locality"]
        small = [mr for mr in towns if self.weight[mr[0]] < BIG_CITY]
        if small:
            return small[0]
        if len(towns) == len(inner):
            return towns[0]
        return min(inner, key=lambda mr: self.weight[mr[0]])

    def _namesake(self, i: int, ranked: Iterable[tuple[int, float]]) -> int:
        """A state or county answered for a name its own main town shares ("Valencia",
        "New York"): the town, which is what people mostly mean."""
        if self.kinds[i] not in _AREA_KINDS:
            return i
        for n, (z, _) in enumerate(ranked):
            if n >= TERM_CANDIDATES:
                break
            if (
                self.kinds[z] == "locality"
                and self.weight[z] >= NAMESAKE_MIN_POPULATION
                and self._inside(z, i)
            ):
                return z
        return i

    # -- near-miss spellings

    def _spelled(self, query: str, term: str, areas: list[int]) -> GeocodeResult | None:
        from rapidfuzz import fuzz, process

        shortened = self._shortened(query, term, areas)
        if shortened is not None:
            return shortened
        for area in areas[:3]:
            if self.kinds[area] not in _SPELLING_KINDS:
                continue
            names, places = self._names_inside(area)
            # Across a whole country some town always looks alike ("Romiley" ~ "Bromley").
            if len(names) > SPELLING_MAX_NAMES:
                continue
            found = process.extractOne(
                term, names, scorer=fuzz.ratio, score_cutoff=SPELLING_MIN_RATIO
            )
            # Slips come after the first letter ("Fredrick"); another first letter is another
            # town ("Winton" is not Swinton).
            if found is not None and found[0][:1] == term[:1]:
                return self._result(
                    query,
                    places[found[2]],
                    confidence=0.5 * found[1] / 100,
                    uncertain=True,
                    match="spelling",
                    others=[(area, 0.0)],
                )
        return None

    def _shortened(self, query: str, term: str, areas: list[int]) -> GeocodeResult | None:
        """A name people shorten, inside the areas named: "Braunau" for Braunau am Inn,
        "Hall, Austria" for Hall in Tirol; the biggest such place, unsure."""
        if len(term) < MIN_HEAD or not areas:
            return None
        prefix = term + " "
        start = bisect_left(self.sorted_keys, prefix)
        best, best_score = -1, 0.0
        for key in self.sorted_keys[start : start + SHORTENED_KEYS]:
            if not key.startswith(prefix):
                break
            for i, score in (self.candidates(key) or ((), 0.0))[0]:
                if (
                    score > best_score
                    and self.kinds[i] == "locality"
                    and any(self._inside(i, a) for a in areas[:3])
                ):
                    best, best_score = i, score
        if best < 0:
            return None
        return self._result(
            query, best, confidence=0.5, uncertain=True, match="spelling", others=[(areas[0], 0.0)]
        )

    def _names_inside(self, area: int) -> tuple[list[str], list[int]]:
        """Normalized names of the towns and counties inside an area (kept for a few areas:
        only texts with an unknown name come here)."""
        cached = self._spelling_names.get(area)
        if cached is not None:
            self._spelling_names.move_to_end(area)
            return cached
        if self._children is None:
            children: dict[int, list[int]] = {}
            for i in range(self.size):
                if self.parent[i] >= 0:
                    children.setdefault(self.parent[i], []).append(i)
            self._children = children
        names: list[str] = []
        places: list[int] = []
        stack = [area]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                stack.append(child)
                if self.kinds[child] in _NEAR_KINDS:
                    names.append(normalize(self.names[child]))
                    places.append(child)
        self._spelling_names[area] = (names, places)
        if len(self._spelling_names) > _SPELLING_AREAS:
            self._spelling_names.popitem(last=False)
        return names, places

    # -- US ZIP codes

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
