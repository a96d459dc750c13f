"""What the geocoder answers: a place, its label and ancestors, and the other places the
text may have meant."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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
