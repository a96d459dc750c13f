"""Where a record lies: the geocoder with a memory, shared by the cleaning pipeline and by the
listings made from records."""

from collections.abc import Iterable
from functools import cached_property
from typing import Any

import pycountry

from directory.importing import coordinates
from directory.readers import Row, RowError
from places.geocoder import GeocodeResult, get_geocoder
from places.models import Place


class _Places:
    """Geocoding with a memory: lists repeat the same towns and ZIP codes thousands of times."""

    def __init__(self) -> None:
        self.by_text: dict[str, GeocodeResult | None] = {}
        self.lft: dict[int, int] = {}
        self.coords: dict[int, tuple[float | None, float | None]] = {}
        # Answers for the points of the current chunk, looked up in one batch.
        self.points: dict[tuple[float, float], GeocodeResult | None] = {}

    @cached_property
    def geocoder(self) -> Any:
        # Fetched on first use: listings made from records already placed never need it.
        return get_geocoder()

    def prefetch_points(self, rows: Iterable[Row | RowError]) -> None:
        points: list[tuple[float, float]] = []
        for row in rows:
            if isinstance(row, Row):
                try:
                    lat, lng = coordinates(row.fields)
                except ValueError:
                    continue
                if lat is not None and lng is not None:
                    points.append((lat, lng))
        self.points = dict(zip(points, self.geocoder.reverse_many(points), strict=True))

    def lookup(
        self,
        city: str,
        region: str,
        country: str,
        postcode: str,
        lat: float | None,
        lng: float | None,
    ) -> GeocodeResult | None:
        if lat is not None and lng is not None:
            if (lat, lng) in self.points:
                return self.points[(lat, lng)]
            return self.geocoder.reverse(lat, lng)
        key = "\x1f".join((city, region, country, postcode))
        if key in self.by_text:
            return self.by_text[key]
        result = None
        text = ", ".join(p for p in (city, region, country) if p)
        if text:
            result = self.geocoder.geocode(text)
        if result is None and postcode:
            result = self.geocoder.geocode(postcode)
        if result is None and region and city:
            result = self.geocoder.geocode(", ".join(p for p in (region, country) if p))
        self.by_text[key] = result
        return result

    def country_code(self, country: str) -> str:
        # "UK" is no ISO code, though people write it: known codes pass, others are looked up.
        code = country.upper()
        if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
            return code
        result = self.lookup("", "", country, "", None, None) if country else None
        if result is None:
            return ""
        return _area_code(result, "country")

    def fill(self, place_ids: Iterable[int]) -> None:
        missing = [i for i in set(place_ids) if i not in self.lft]
        for i in range(0, len(missing), 500):
            for pk, lft, lat, lng in Place.objects.filter(pk__in=missing[i : i + 500]).values_list(
                "pk", "lft", "latitude", "longitude"
            ):
                self.lft[pk] = lft
                self.coords[pk] = (lat, lng)


def _area_code(result: GeocodeResult, kind: str) -> str:
    if result.place.kind == kind:
        return result.place.iso_code
    for ancestor in reversed(result.ancestors):
        if ancestor.kind == kind:
            return ancestor.iso_code
    return ""
