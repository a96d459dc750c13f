"""The cleaning pipeline: a file's rows, as read, become the normalized values of records (or
the reason a row was refused), chunk by chunk in file order."""

from collections.abc import Iterator
from typing import Any

from directory.importing import coordinates
from directory.readers import Row, RowError
from sources import normalize as n
from sources.services.geocoding import _area_code, _Places

CHUNK = 2000


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
        "content_hash": n.content_hash(row.raw),
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
