"""The cleaning pipeline: a file's rows, as read, become the normalized values of records (or
the reason a row was refused), chunk by chunk in file order."""

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pycountry

from directory.importing import coordinates
from directory.languages import language_codes
from directory.readers import Row, RowError
from sources import normalize as n
from sources.services.geocoding import _area_code, _Places

CHUNK = 2000

# "Canada / Vancouver: Mutual Aid for Metro Vancouver": lists that sort groups by place put the
# place before the name. The part before the slash must be a country or a state to count.
_PLACE_PREFIX = re.compile(
    r"^(?P<area>[^/:\n]{2,60}?)\s*/\s*(?P<place>[^:\n]{2,120}?)\s*:\s*(?P<name>\S.*)$", re.S
)
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _subdivision_names() -> frozenset[str]:
    return frozenset(s.name.lower() for s in pycountry.subdivisions)


def _area_kind(area: str, places: _Places) -> str:
    """ "country" or "state" when `area` names one (in the gazetteer, or in ISO 3166 when the
    gazetteer holds fewer places), else ""."""
    result = places.lookup("", "", area, "", None, None)
    if result is not None and result.place.kind in ("country", "state"):
        return str(result.place.kind)
    try:
        pycountry.countries.lookup(area)
        return "country"
    except LookupError:
        pass
    return "state" if area.lower() in _subdivision_names() else ""


def _place_prefix(name: str, places: _Places) -> tuple[str, str, str, str] | None:
    """(name, locality, state, country) when a name starts with a place, else None."""
    match = _PLACE_PREFIX.match(name)
    if match is None:
        return None
    area = match["area"].strip()
    kind = _area_kind(area, places)
    if not kind:
        return None
    locality = match["place"].strip()
    if "," in locality:
        locality = ""  # "Hartford, Bridgeport, Waterbury": several places, none of them home
    if kind == "country":
        return match["name"].strip(), locality, "", area
    return match["name"].strip(), locality, area, ""


def _where(lat: float | None, lng: float | None, result: Any) -> tuple[float, float] | None:
    """Where a row lies, for grouping: its own point, else its place's. Some ZIP codes come
    with 0, 0 for a point, which is no place any group serves."""
    if lat is None or lng is None:
        if result is None or result.latitude is None or result.longitude is None:
            return None
        lat, lng = result.latitude, result.longitude
    return None if (lat, lng) == (0.0, 0.0) else (lat, lng)


def _links(row: Row, taken: set[str]) -> list[dict[str, str]]:
    """Every link of a row that no field holds, labelled with its column: "Support request",
    "Support offer" and the like say what the link is for."""
    raw = row.raw.get("properties", row.raw) if isinstance(row.raw, dict) else {}
    if not isinstance(raw, dict):
        return []
    links: list[dict[str, str]] = []
    for header, value in raw.items():
        url = n.text(value) if isinstance(value, str) else ""
        if url and _URL.match(url) and url not in taken and len(url) <= 1000:
            taken.add(url)
            links.append({"label": str(header).strip()[:100], "url": url})
    return links[:20]


def _record_values(row: Row, places: _Places) -> dict[str, Any]:
    """Normalized fields of a row beside its originals; ValueError says why a row is refused."""
    f = row.fields
    name = n.text(f.get("name"))
    if not name:
        raise ValueError("no name")
    if len(name) > 300:
        raise ValueError("name is longer than 300 characters")
    lat, lng = coordinates(f)
    city = n.text(f.get("city"))[:200]
    region = n.text(f.get("state"))[:200]
    country = n.text(f.get("country"))[:100]
    postcode = n.text(f.get("postcode"))[:20]
    prefixed = _place_prefix(name, places)
    if prefixed is not None:
        # The place words leave the name; they fill the place only where the row says none.
        name, prefix_city, prefix_region, prefix_country = prefixed
        city = city or prefix_city[:200]
        region = region or prefix_region[:200]
        country = country or prefix_country[:100]
    result = places.lookup(city, region, country, postcode, lat, lng)
    place_id = None
    country_code = region_code = ""
    if result is not None and result.place.kind not in ("bioregion", "macroregion", "world"):
        place_id = result.place.id
        country_code = _area_code(result, "country")
        region_code = _area_code(result, "state")
    if country and not country_code:
        country_code = places.country_code(country)
    website = n.text(f.get("website"))[:500]
    facebook = n.text(f.get("facebook"))[:500]
    if website and n.is_facebook(website):
        # Many lists put a Facebook group where the website goes.
        facebook, website = facebook or website, ""
    email = n.text(f.get("email"))[:254]
    phone = n.text(f.get("phone"))[:60]
    languages, _unknown = language_codes(f.get("languages"))
    clean_name = n.name_clean(name)
    clean_site = n.website_clean(website) or n.website_clean(facebook)
    external_id = n.text(f.get("external_id"))[:300]
    if external_id.isdigit() and int(external_id) in (row.key, row.key - 1):
        # A counter (0, 1, 2… as in Mutual Aid Hub's GeoJSON) is a position, not an identity.
        external_id = ""
    return {
        "line": row.line,
        "record_key": row.key,
        "external_id": external_id,
        "raw": row.raw,
        "name": name,
        "name_clean": clean_name,
        "address": n.text(f.get("address"))[:500],
        "city": city,
        "region": region,
        "region_code": region_code[:10],
        "postcode": postcode,
        "country": country,
        "country_code": country_code[:2],
        "latitude": lat,
        "longitude": lng,
        "place_id": place_id,
        "website": website,
        "website_clean": n.website_clean(website),
        "facebook": facebook,
        "email": email,
        "email_clean": n.email_clean(email),
        "phone": phone,
        "phone_clean": n.phone_clean(phone, country_code)[:30],
        "description": n.text(f.get("description"))[:10000],
        "tags": n.tags_list(f.get("tags")),
        "languages": languages,
        "links": _links(row, {website, facebook}),
        "service_places": [],
        "grouped_rows": [],
        "group_hash": "",
        "content_hash": n.content_hash(row.raw),
        # Where the row lies, for grouping rows of one group (see grouping.py).
        "_where": _where(lat, lng, result),
        "_identity": (
            "id:" + external_id[:190]
            if external_id
            else "key:"
            + n.content_key(clean_name, postcode or n.name_clean(city) or region_code, clean_site)
        ),
    }


def _chunks(items: Iterator[Row | RowError], size: int) -> Iterator[list[Row | RowError]]:
    chunk: list[Row | RowError] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


Cleaned = dict[str, Any] | RowError


def _clean(items: Iterator[Row | RowError], places: _Places) -> Iterator[list[Cleaned]]:
    """Chunks of clean record values (or the reason a row was refused), in file order."""
    for chunk in _chunks(items, CHUNK):
        places.prefetch_points(chunk)
        out: list[Cleaned] = []
        for item in chunk:
            if isinstance(item, RowError):
                out.append(item)
                continue
            try:
                out.append(_record_values(item, places))
            except ValueError as exc:
                out.append(RowError(item.line, str(exc)))
        yield out
