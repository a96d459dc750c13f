"""Rows of one file that name the same group in one region are one record.

A chapter list of 24,371 ZIP codes naming 207 chapters is 207 groups, each serving many places,
not 24,371 listings. While a run reads its file, each row either starts a group or joins an
earlier one: same clean name, same country, no contradicting link or e-mail, no identifier of
its own, and either the same state or within `NEAR_KM` of where the group started (a chapter
may cross a state line; "Mutual Aid" in Portland and in Boston are two groups).

Only a row that names another place joins: the same group written twice at the same place is a
duplicate row, left to duplicate finding like any other, which keeps its evidence and review.
"""

import hashlib
import math
from dataclasses import dataclass
from typing import Any

# Groups followed in one file. Past this many distinct groups a list is no list of places per
# group, and later names start no group, which bounds the memory a huge file takes here.
MAX_GROUPS = 250_000
# How far from its first row a row of the same name, in another state, still joins the group.
NEAR_KM = 150.0


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


@dataclass(slots=True)
class _Joined:
    """What a group holds once another row joined it."""

    regions: set[str]
    places: list[int]
    locations: set[int]
    rows: list[dict[str, Any]]
    hashes: list[str]


@dataclass(slots=True)
class _Group:
    # One for every group a file starts, most of which no other row joins: kept small.
    identity: str
    country: str
    site: str
    email: str
    where: tuple[float, float] | None
    region: str
    place: int | None
    location: int
    joined: _Joined | None = None

    def in_region(self, region: str) -> bool:
        return region == self.region or (self.joined is not None and region in self.joined.regions)

    @property
    def unlocated(self) -> bool:
        return (
            not self.country
            and not self.region
            and self.where is None
            and not (self.joined and self.joined.regions)
        )


class RowGroups:
    """The groups started so far in one file, and the rows folded into them."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[_Group]] = {}
        self.by_identity: dict[str, _Group] = {}

    def join(self, values: dict[str, Any], where: tuple[float, float] | None) -> str | None:
        """The identity of the group this row belongs to, with the row folded into it; None
        when the row starts a group of its own (call `start`)."""
        if values["external_id"]:
            return None
        site = values["website_clean"] or n_site(values)
        email = values["email_clean"]
        country, region = values["country_code"], values["region_code"]
        # A row nothing locates (a ZIP code the gazetteer lacks) may belong anywhere its name does.
        unlocated = not country and not region and where is None
        for group in self._by_name.get(values["name_clean"], []):
            if site and group.site and site != group.site:
                continue
            if email and group.email and email != group.email:
                continue
            if not (unlocated or group.unlocated):
                same_region = bool(region) and group.in_region(region)
                near = (
                    where is not None
                    and group.where is not None
                    and _km(where, group.where) <= NEAR_KM
                )
                if country != group.country or not (same_region or near):
                    continue
            location = _location(values)
            joined = group.joined
            if location == group.location or (joined is not None and location in joined.locations):
                return None
            if joined is None:
                joined = group.joined = _Joined(
                    regions={group.region} if group.region else set(),
                    places=[group.place] if group.place else [],
                    locations={group.location},
                    rows=[],
                    hashes=[],
                )
            joined.locations.add(location)
            if not unlocated and group.unlocated:
                group.country, group.where = country, where
            if region:
                joined.regions.add(region)
            group.site = group.site or site
            group.email = group.email or email
            if values["place_id"] and values["place_id"] not in joined.places:
                joined.places.append(values["place_id"])
            joined.rows.append({"line": values["line"], "raw": values["raw"]})
            joined.hashes.append(values["content_hash"])
            return group.identity
        return None

    def start(
        self, identity: str, values: dict[str, Any], where: tuple[float, float] | None
    ) -> None:
        if values["external_id"] or len(self.by_identity) >= MAX_GROUPS:
            return
        group = _Group(
            identity=identity,
            country=values["country_code"],
            site=values["website_clean"] or n_site(values),
            email=values["email_clean"],
            where=where,
            region=values["region_code"],
            place=values["place_id"],
            location=_location(values),
        )
        self._by_name.setdefault(values["name_clean"], []).append(group)
        self.by_identity[identity] = group

    def folded(self) -> dict[str, dict[str, Any]]:
        """Per group that other rows joined: the record values that say so."""
        out: dict[str, dict[str, Any]] = {}
        for identity, group in self.by_identity.items():
            joined = group.joined
            if joined is None:
                continue
            digest = hashlib.sha1("\x1f".join(joined.hashes).encode(), usedforsecurity=False)
            out[identity] = {
                "service_places": joined.places,
                "grouped_rows": joined.rows,
                "group_hash": digest.hexdigest(),
            }
        return out


def _location(values: dict[str, Any]) -> int:
    # A hash stands for the row's place words: a set of them per group costs little.
    return hash(
        (
            values["postcode"].lower(),
            values["city"].lower(),
            values["address"].lower(),
            values["latitude"],
            values["longitude"],
        )
    )


def n_site(values: dict[str, Any]) -> str:
    """A group's Facebook page stands for its website when it has none."""
    facebook = values.get("facebook") or ""
    return facebook.strip().lower().rstrip("/") if facebook else ""
