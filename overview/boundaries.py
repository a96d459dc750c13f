"""Which boundary file, if any, draws a place's sub-places (see static/overview/boundaries).

The places app holds points, not boundaries, so the map shades boundaries shipped as static
files where they exist (countries, the states of four countries, US counties) and falls back
to points elsewhere (towns, and regions whose members mix levels)."""

from functools import cache
from pathlib import Path

from django.templatetags.static import static

from places.models import Place, PlaceKind

FOLDER = Path(__file__).resolve().parent.parent / "static" / "overview" / "boundaries"


@cache
def _exists(relative: str) -> bool:
    return (FOLDER / relative).is_file()


def boundary_url(place: Place, source_refs: list[str]) -> str:
    """The static file with the boundaries of `place`'s sub-places, or "" for points."""
    if place.kind == PlaceKind.WORLD:
        relative = "countries.json"
    elif place.kind == PlaceKind.COUNTRY and place.iso_code:
        relative = f"states/{place.iso_code.upper()}.json"
    elif place.kind == PlaceKind.STATE and place.iso_code.upper().startswith("US-"):
        # County FIPS codes begin with their state's two digits.
        fips = next((r[5:7] for r in source_refs if r.startswith("fips:")), "")
        if not fips.isdigit():
            return ""
        relative = f"us-counties/{fips}.json"
    else:
        return ""
    return static(f"overview/boundaries/{relative}") if _exists(relative) else ""
