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
from dataclasses import dataclass, field
from typing import Any

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
class _Group:
    identity: str
    country: str
    site: str
    email: str
    where: tuple[float, float] | None
    regions: set[str]
    places: list[int]
    locations: set[tuple[Any, ...]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)

    @property
    def unlocated(self) -> bool:
        return not self.country and not self.regions and self.where is None


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
                same_region = bool(region) and region in group.regions
                near = (
                    where is not None
                    and group.where is not None
                    and _km(where, group.where) <= NEAR_KM
                )
                if country != group.country or not (same_region or near):
                    continue
            location = _location(values)
            if location in group.locations:
                return None
            group.locations.add(location)
            if not unlocated and group.unlocated:
                group.country, group.where = country, where
            if region:
                group.regions.add(region)
            group.site = group.site or site
            group.email = group.email or email
            if values["place_id"] and values["place_id"] not in group.places:
                group.places.append(values["place_id"])
            group.rows.append({"line": values["line"], "raw": values["raw"]})
            group.hashes.append(values["content_hash"])
            return group.identity
        return None

    def start(
        self, identity: str, values: dict[str, Any], where: tuple[float, float] | None
    ) -> None:
        if values["external_id"]:
            return
        group = _Group(
            identity=identity,
            country=values["country_code"],
            site=values["website_clean"] or n_site(values),
            email=values["email_clean"],
            where=where,
            regions={values["region_code"]} if values["region_code"] else set(),
            places=[values["place_id"]] if values["place_id"] else [],
            locations={_location(values)},
        )
        self._by_name.setdefault(values["name_clean"], []).append(group)
        self.by_identity[identity] = group

    def folded(self) -> dict[str, dict[str, Any]]:
        """Per group that other rows joined: the record values that say so."""
        out: dict[str, dict[str, Any]] = {}
        for identity, group in self.by_identity.items():
            if not group.rows:
                continue
            digest = hashlib.sha1("\x1f".join(group.hashes).encode(), usedforsecurity=False)
            out[identity] = {
                "service_places": group.places,
                "grouped_rows": group.rows,
                "group_hash": digest.hexdigest(),
            }
        return out


def _location(values: dict[str, Any]) -> tuple[Any, ...]:
    return (
        values["postcode"].lower(),
        values["city"].lower(),
        values["address"].lower(),
        values["latitude"],
        values["longitude"],
    )


def n_site(values: dict[str, Any]) -> str:
    """A group's Facebook page stands for its website when it has none."""
    facebook = values.get("facebook") or ""
    return facebook.strip().lower().rstrip("/") if facebook else ""
