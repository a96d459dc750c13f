"""Read the lists groups already publish (CSV/TSV, XLSX/ODS, GeoJSON, JSON, JSON lines,
Murmurations profiles) into rows.

No Django here: a reader turns a file into `Row`s (line number, raw record, fields mapped to our
names) and `RowError`s, so that a bad row is reported with its line and the good rows go on.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("csv", "tsv", "xlsx", "ods", "geojson", "json", "jsonl", "murmurations")

# Our field → header spellings seen in the wild, compared after `_header_key` normalization.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "title",
        "organization",
        "organisation",
        "org",
        "group",
        "groupname",
        "resource",
        "networkname",
        "organizationname",
        "chapter",
        "initiative",
    ),
    "address": ("address", "location", "street", "addrstreet", "streetaddress", "fulladdress"),
    "neighborhood": ("neighborhood", "neighbourhood", "neighborhoodregion"),
    "city": ("city", "town", "locality", "municipality", "addrcity", "ville", "stadt", "ciudad"),
    "state": ("state", "province", "stateterritory", "stateprovince", "county", "admin1"),
    "postcode": ("zip", "zipcode", "postcode", "postalcode", "addrpostcode", "plz"),
    "country": ("country", "addrcountry", "nation", "countrycode", "pays", "land", "pais"),
    "latitude": ("lat", "latitude", "y"),
    "longitude": ("lng", "lon", "long", "longitude", "x"),
    "website": ("website", "url", "web", "homepage", "contactwebsite", "link", "general", "site"),
    "facebook": ("facebook", "facebookpage", "fb", "socialmedia", "facebookgroup"),
    "email": ("email", "mail", "contactemail", "emailaddress"),
    "phone": ("phone", "telephone", "tel", "contactphone", "hotline", "phonenumber"),
    "description": ("description", "about", "summary", "mission", "details", "notes"),
    "tags": (
        "tags",
        "category",
        "categories",
        "issues",
        "issueareas",
        "sector",
        "type",
        "typeofinitiative",
        "keywords",
    ),
    "languages": ("language", "languages"),
    # The source's own identifier for a row, which lets a re-import recognise it.
    "external_id": ("id", "uuid", "externalid", "identifier", "recordid", "profileurl"),
}


def _header_key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


_ALIAS_INDEX = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
# A mapping's value for "read this field from no column": the coordinator said so, so the
# guess from headers must not fill it again.
NO_COLUMN = ""


class ReadError(Exception):
    """The file as a whole cannot be read (wrong format, undecodable, no header)."""


@dataclass
class Row:
    line: int  # 1-based line (CSV) or position (JSON element / GeoJSON feature)
    key: int  # 1-based position among data records
    raw: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class RowError:
    line: int
    reason: str


def guess_mapping(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Map source headers to our fields from their spelling; `overrides` (ours → theirs) win.
    A field overridden with "" (NO_COLUMN) is read from no column, whatever its headers say."""
    mapping: dict[str, str] = {}
    for header in headers:
        ours = _ALIAS_INDEX.get(_header_key(header))
        if ours and ours not in mapping:
            mapping[ours] = header
    for ours, theirs in (overrides or {}).items():
        if ours not in FIELD_ALIASES:
            raise ReadError(
                f"mapping names an unknown field {ours!r}; known: {', '.join(FIELD_ALIASES)}"
            )
        if theirs == NO_COLUMN:
            mapping.pop(ours, None)
        else:
            mapping[ours] = theirs
    return mapping


def mapping_from_json(value: Any) -> dict[str, str]:
    """A mapping as written in a file or form ({"name": "Group", "email": null}), with null
    turned into NO_COLUMN. Raises ValueError naming what is wrong."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    ):
        raise ValueError('write it like {"name": "Group", "city": "Town", "email": null}')
    unknown = sorted(set(value) - set(FIELD_ALIASES))
    if unknown:
        known = ", ".join(FIELD_ALIASES)
        raise ValueError(f"unknown field {', '.join(map(repr, unknown))}; known: {known}")
    return {ours: theirs or NO_COLUMN for ours, theirs in value.items()}


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm", "xls"):
        return "xlsx"
    if suffix == "ods":
        return "ods"
    if suffix in ("geojson",):
        return "geojson"
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix == "json":
        head = path.read_bytes()[:4096].decode("utf-8", "ignore")
        if '"FeatureCollection"' in head or '"Feature"' in head:
            return "geojson"
        # Murmurations profiles point at their schema: "linked_schemas": ["organizations_schema..."]
        return "murmurations" if '"linked_schemas"' in head or '"primary_url"' in head else "json"
    raise ReadError(f"cannot tell the format of {path.name}; pass --format ({', '.join(FORMATS)})")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252/Latin-1, which decode any byte."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def read(
    path: Path, fmt: str | None = None, mapping: dict[str, str] | None = None
) -> Iterator[Row | RowError]:
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ReadError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt in ("xlsx", "ods"):
        return _read_sheet(path, fmt, mapping)
    if fmt in ("csv", "tsv"):
        # Streamed from disk: a million-row file is never held in memory as one string.
        try:
            stream = path.open(encoding=file_encoding(path), newline="")
        except OSError as exc:
            raise ReadError(f"cannot open {path}: {exc.strerror}") from exc
        return _read_csv(stream, mapping)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot open {path}: {exc.strerror}") from exc
    text = decode(data)
    if fmt == "murmurations":
        return _read_murmurations(text, mapping)
    if fmt == "geojson":
        return _read_geojson(text, mapping)
    if fmt == "jsonl":
        return _read_jsonl(text, mapping)
    return _read_json(text, mapping)


def _apply(raw: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ours, theirs in mapping.items():
        value = raw.get(theirs)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, "", [], {}):
            out[ours] = value
    return out


def file_encoding(path: Path) -> str:
    """What `decode` would choose for the whole file, found in one pass without keeping it."""
    candidates = ("utf-8", "cp1252")
    try:
        with path.open("rb") as f:
            head = f.read(len(codecs.BOM_UTF8))
            if head == codecs.BOM_UTF8:
                candidates = ("utf-8-sig", "cp1252")
            for encoding in candidates:
                f.seek(0)
                decoder = codecs.getincrementaldecoder(encoding)()
                try:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
                    return encoding
                except UnicodeDecodeError:
                    continue
    except OSError as exc:
        raise ReadError(f"cannot open {path}: {exc.strerror}") from exc
    return "latin-1"


def _read_csv(stream: io.TextIOBase, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    with stream:
        yield from _read_csv_stream(stream, overrides)


def _read_csv_stream(
    stream: io.TextIOBase, overrides: dict[str, str] | None
) -> Iterator[Row | RowError]:
    sample = stream.read(65536)
    stream.seek(0)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            "\n".join(
                line
                for line in sample.splitlines()
                if line.count(",") + line.count("\t") + line.count(";") + line.count("|") >= 2
            )[:20000]
            or sample,
            delimiters=",\t;|",
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(stream, dialect)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        for record in reader:
            yield reader.line_num, record

    try:
        yield from _table_rows(numbered(), overrides)
    except csv.Error as exc:
        yield RowError(reader.line_num, f"unreadable CSV: {exc}")


def _table_rows(
    records: Iterator[tuple[int, list[str]]], overrides: dict[str, str] | None
) -> Iterator[Row | RowError]:
    """Rows of a table (CSV or spreadsheet), skipping preambles until the header row."""
    headers: list[str] | None = None
    mapping: dict[str, str] = {}
    # The columns the overrides name: a row holding one is the header, whatever the guess says.
    named = {theirs for theirs in (overrides or {}).values() if theirs != NO_COLUMN}
    key = 0
    for line, record in records:
        if headers is None:
            # Skip preambles (licences, titles) until a row that looks like a header.
            candidate = [c.strip() for c in record]
            guessed = guess_mapping(candidate)
            if (named & set(candidate)) or (len(guessed) >= 2 and "name" in guessed):
                headers = candidate
                mapping = guess_mapping(headers, overrides)
            continue
        if not any(cell.strip() for cell in record):
            continue
        key += 1
        if len(record) > len(headers):
            extra = record[len(headers) :]
            if any(c.strip() for c in extra):
                yield RowError(line, f"{len(record)} cells but the header has {len(headers)}")
                continue
        raw = dict(zip(headers, record, strict=False))
        yield Row(line=line, key=key, raw=raw, fields=_apply(raw, mapping))
    if headers is None:
        raise ReadError(
            "no header row found: expected a row naming at least a name column and one more"
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store ZIP codes and ids as numbers: 97201.0 means "97201".
        return str(int(value))
    return str(value)


def _read_sheet(path: Path, fmt: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    """The first sheet of an XLSX or ODS workbook; its line numbers are spreadsheet row numbers."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        if not book.sheet_names:
            raise ReadError(f"the {fmt.upper()} workbook has no sheets")
        sheet = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ReadError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ReadError(f"cannot read {path.name} as {fmt.upper()}: {exc}") from exc
    numbered = ((i, [_cell_text(c) for c in row]) for i, row in enumerate(sheet, start=1))
    return _table_rows(numbered, overrides)


def _read_geojson(text: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise ReadError("not a GeoJSON FeatureCollection (no 'features' list)")
    headers: list[str] = []
    for feature in features:
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
            headers.extend(h for h in feature["properties"] if h not in headers)
    mapping = guess_mapping(headers, overrides)
    for position, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            yield RowError(position, "feature is not an object")
            continue
        props = dict(feature.get("properties") or {})
        fields = _apply(props, mapping)
        geometry = feature.get("geometry") or {}
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            geometry
            and geometry.get("type") == "Point"
            and isinstance(coords, list)
            and len(coords) >= 2
        ):
            fields["longitude"], fields["latitude"] = coords[0], coords[1]
        raw = {"properties": props, "geometry": geometry}
        yield Row(line=position, key=position, raw=raw, fields=fields)


def _json_rows(items: list[Any], overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    headers: list[str] = []
    for item in items:
        if isinstance(item, dict):
            headers.extend(h for h in item if h not in headers)
    mapping = guess_mapping(headers, overrides)
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowError(position, "element is not an object")
            continue
        yield Row(line=position, key=position, raw=item, fields=_apply(item, mapping))


def _read_json(text: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    if isinstance(doc, dict):
        # Common wrappers: {"data": [...]}, {"items": [...]}, {"organizations": [...]}.
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise ReadError("expected a JSON array of objects (or an object holding one array)")
        doc = lists[0]
    if not isinstance(doc, list):
        raise ReadError("expected a JSON array of objects")
    return _json_rows(doc, overrides)


def _read_jsonl(text: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    items: list[Any] = []
    errors: list[RowError] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
            lines.append(number)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, f"not valid JSON: {exc.msg}"))
    yield from errors
    for row, number in zip(_json_rows(items, overrides), lines, strict=True):
        row.line = number
        yield row


def _murmurations_fields(profile: dict[str, Any]) -> dict[str, Any]:
    """Our fields from a profile of the Murmurations organizations schema."""
    fields: dict[str, Any] = {}

    def put(ours: str, value: Any) -> None:
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, "", [], {}):
            fields[ours] = value

    put("name", profile.get("name"))
    put("website", profile.get("primary_url"))
    put("description", profile.get("description") or profile.get("mission"))
    put("city", profile.get("locality"))
    put("state", profile.get("region"))
    put(
        "country",
        profile.get("country_iso_3166") or profile.get("country_name") or profile.get("country"),
    )
    put("postcode", profile.get("postal_code"))
    put("address", profile.get("full_address") or profile.get("street_address"))
    put("external_id", profile.get("profile_url"))
    tags = profile.get("tags")
    if isinstance(tags, list):
        put("tags", ";".join(str(t) for t in tags if t))
    else:
        put("tags", tags)
    geo = profile.get("geolocation")
    if isinstance(geo, dict):
        put("latitude", geo.get("lat"))
        put("longitude", geo.get("lon", geo.get("lng")))
    else:
        # Index nodes flatten the point into the answer.
        put("latitude", profile.get("latitude"))
        put("longitude", profile.get("longitude"))
    contact = profile.get("contact_details")
    if isinstance(contact, dict):
        put("email", contact.get("email"))
    for url in profile.get("urls") or []:
        link = url.get("url") if isinstance(url, dict) else url
        if isinstance(link, str) and re.search(r"(facebook|fb)\.(com|me)/", link, re.I):
            put("facebook", link)
            break
    put("phone", profile.get("telephone"))
    return fields


def _read_murmurations(text: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    # One profile, a list of profiles, or an index node's answer {"data": [...]}.
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        profiles = doc["data"]
    elif isinstance(doc, dict):
        profiles = [doc]
    elif isinstance(doc, list):
        profiles = doc
    else:
        raise ReadError('expected a Murmurations profile, a list of them or {"data": [...]}')
    for position, profile in enumerate(profiles, start=1):
        if not isinstance(profile, dict):
            yield RowError(position, "profile is not an object")
            continue
        fields = _murmurations_fields(profile)
        if overrides:
            named = {ours: theirs for ours, theirs in overrides.items() if theirs != NO_COLUMN}
            for ours in overrides.keys() - named.keys():
                fields.pop(ours, None)
            fields.update(_apply(profile, named))
        yield Row(line=position, key=position, raw=profile, fields=fields)
