"""Read the lists groups already publish (CSV/TSV, XLSX/ODS, GeoJSON, JSON, JSON lines,
Murmurations profiles) into rows.

No Django here: a reader turns a file into `Row`s (line number, raw record, fields mapped to our
names) and `RowError`s, so that a bad row is reported with its line and the good rows go on.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from directory.encodings import decode, file_encoding
from directory.sheets import xlsx_extent

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


# Bounds that keep a hostile file from costing the hub more than a real list ever does: a
# list of groups has tens of columns, not a million; a cell holds a description, not a book;
# JSON records are a few levels deep, not 200,000; a sheet's cells fit in memory.
MAX_COLUMNS = 5000
MAX_CELL = 1 << 20
MAX_RECORD_LINES = 200
MAX_DEPTH = 32
MAX_SHEET_CELLS = 20_000_000
csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))


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


def _missing_columns(columns: Iterable[str], overrides: dict[str, str] | None) -> None:
    """Refuse a mapping that names columns the file does not have, naming them and the
    columns it does have, rather than reading every row as nameless."""
    named = {ours: theirs for ours, theirs in (overrides or {}).items() if theirs != NO_COLUMN}
    present = set(columns)
    missing = sorted({theirs for theirs in named.values() if theirs not in present})
    if missing:
        shown = ", ".join(sorted(present)[:40]) or "none"
        raise ReadError(
            f"the mapping names {len(missing)} column(s) the file does not have: "
            f"{', '.join(map(repr, missing))}; its columns are: {shown}"
        )


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
        try:
            with path.open("rb") as f:
                head = f.read(4096).decode("utf-8", "ignore")
        except OSError as exc:
            raise ReadError(f"cannot open the file: {exc.strerror}") from exc
        if '"FeatureCollection"' in head or '"Feature"' in head:
            return "geojson"
        # Murmurations profiles point at their schema: "linked_schemas": ["organizations_schema..."]
        return "murmurations" if '"linked_schemas"' in head or '"primary_url"' in head else "json"
    # Not the name: an upload is kept under a name of our own, which means nothing to people.
    raise ReadError(
        f"cannot tell the file's format from its name; choose one of {', '.join(FORMATS)} "
        "(--format on the command line)"
    )


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
            raise ReadError(f"cannot open the file: {exc.strerror}") from exc
        return _read_csv(stream, mapping)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot open the file: {exc.strerror}") from exc
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


def _read_csv(stream: io.TextIOBase, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    with stream:
        yield from _read_csv_stream(stream, overrides)


def _read_csv_stream(
    stream: io.TextIOBase, overrides: dict[str, str] | None
) -> Iterator[Row | RowError]:
    # NUL bytes have no place in a list and break names, slugs and PostgreSQL's JSON.
    sample = stream.read(65536).replace("\x00", "")
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
    reader = csv.reader((line.replace("\x00", "") for line in stream), dialect)

    def numbered() -> Iterator[tuple[int, list[str]] | RowError]:
        # After a row the csv module cannot read (a cell past MAX_CELL, often a quote left
        # open), reading goes on with the next line: the rows after it are kept, not lost.
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # A quote left open swallows the lines after it: say which.
                span = f" (lines {start}-{reader.line_num})" if reader.line_num > start else ""
                if "field larger than field limit" in str(exc):
                    reason = (
                        f"a cell longer than {MAX_CELL:,} characters{span}; is a quote left "
                        "open? This row is skipped"
                    )
                else:
                    reason = f"unreadable CSV{span}: {exc}"
                yield RowError(start, reason)
                continue
            if reader.line_num - start >= MAX_RECORD_LINES:
                # Far longer than any description: a stray quote joined the rows after it.
                yield RowError(
                    start,
                    f"one row runs over lines {start}-{reader.line_num}; is a quote left open? "
                    "These lines are skipped",
                )
                continue
            yield reader.line_num, record

    yield from _table_rows(numbered(), overrides)


def _table_rows(
    records: Iterator[tuple[int, list[str]] | RowError], overrides: dict[str, str] | None
) -> Iterator[Row | RowError]:
    """Rows of a table (CSV or spreadsheet), skipping preambles until the header row."""
    headers: list[str] | None = None
    mapping: dict[str, str] = {}
    # The columns the overrides name: a row holding one is the header, whatever the guess says.
    named = {theirs for theirs in (overrides or {}).values() if theirs != NO_COLUMN}
    key = 0
    for item in records:
        if isinstance(item, RowError):
            yield item
            continue
        line, record = item
        if len(record) > MAX_COLUMNS:
            raise ReadError(
                f"line {line} has {len(record):,} columns; a list is read up to "
                f"{MAX_COLUMNS:,} columns"
            )
        if headers is None:
            # Skip preambles (licences, titles) until a row that looks like a header.
            candidate = [c.strip() for c in record]
            guessed = guess_mapping(candidate)
            if (named & set(candidate)) or (len(guessed) >= 2 and "name" in guessed):
                _missing_columns(candidate, overrides)
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
        if named:
            raise ReadError(
                "no row holds the columns the mapping names ("
                + ", ".join(map(repr, sorted(named)))
                + "); check their spelling against the file's header row"
            )
        raise ReadError(
            "no header row found: expected a row naming at least a name column and one more "
            "(or a column mapping naming the file's own columns)"
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store ZIP codes and ids as numbers: 97201.0 means "97201".
        return str(int(value))
    return str(value).replace("\x00", "")


def _read_sheet(path: Path, fmt: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    """The first sheet of an XLSX or ODS workbook; its line numbers are spreadsheet row numbers."""
    from python_calamine import CalamineWorkbook

    if fmt == "xlsx" and zipfile.is_zipfile(path):
        _xlsx_extent_check(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        if not book.sheet_names:
            raise ReadError(f"the {fmt.upper()} workbook has no sheets")
        sheet = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ReadError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        # Its messages may name the file as stored on the server; people know it by its name.
        detail = str(exc).replace(str(path), "the file").replace(path.name, "the file")
        raise ReadError(
            f"this file cannot be read as {fmt.upper()}: it is damaged or not a "
            f"spreadsheet ({detail[:300]})"
        ) from exc
    numbered = ((i, [_cell_text(c) for c in row]) for i, row in enumerate(sheet, start=1))
    return _table_rows(numbered, overrides)


def _xlsx_extent_check(path: Path) -> None:
    """Refuse a workbook whose first sheet spans more cells than fit in memory before the
    spreadsheet reader sees it: it sizes one table from the farthest cell, so two cells at
    A1 and XFD1048576 ask for 17 billion (512 GiB)."""
    extent = xlsx_extent(path)
    if extent is None:
        return  # the spreadsheet reader says what is wrong with a damaged file
    rows, columns, filled = extent
    if rows * columns > MAX_SHEET_CELLS:
        raise ReadError(
            f"the first sheet reaches row {rows:,} and column {columns:,}: "
            f"{rows * columns:,} cells to read for {filled:,} filled ones, more than the "
            f"{MAX_SHEET_CELLS:,} a sheet may span; clear the far-away cells or save the list "
            "as CSV, then upload it again"
        )


def _json_load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise ReadError(
            "the JSON is nested too deeply to be a list of groups (thousands of levels)"
        ) from exc


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON value without NUL characters; ValueError when it nests past MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {
            (k.replace("\x00", "") if isinstance(k, str) else k): _plain(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value]
    return value


def _read_geojson(text: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    doc = _json_load(text)
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise ReadError("not a GeoJSON FeatureCollection (no 'features' list)")
    headers: dict[str, None] = {}
    for feature in features:
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
            headers.update(dict.fromkeys(str(h) for h in feature["properties"]))
            if len(headers) > MAX_COLUMNS:
                raise ReadError(f"the features have more than {MAX_COLUMNS:,} properties")
    _missing_columns(headers, overrides)
    mapping = guess_mapping(list(headers), overrides)
    for position, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            yield RowError(position, "feature is not an object")
            continue
        try:
            feature = _plain(feature)
        except ValueError as exc:
            yield RowError(position, f"feature is {exc}")
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            yield RowError(position, "the feature's properties are not an object")
            continue
        fields = _apply(props, mapping)
        geometry = feature.get("geometry") or {}
        if not isinstance(geometry, dict):
            yield RowError(position, "the feature's geometry is not an object")
            continue
        coords = geometry.get("coordinates")
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
    headers: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            headers.update(dict.fromkeys(str(h) for h in item))
            if len(headers) > MAX_COLUMNS:
                raise ReadError(f"the elements have more than {MAX_COLUMNS:,} keys")
    _missing_columns(headers, overrides)
    mapping = guess_mapping(list(headers), overrides)
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield RowError(position, "element is not an object")
            continue
        try:
            item = _plain(item)
        except ValueError as exc:
            yield RowError(position, f"element is {exc}")
            continue
        yield Row(line=position, key=position, raw=item, fields=_apply(item, mapping))


def _read_json(text: str, overrides: dict[str, str] | None) -> Iterator[Row | RowError]:
    doc = _json_load(text)
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
        except RecursionError:
            errors.append(RowError(number, "nested too deeply"))
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
    doc = _json_load(text)
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
        try:
            profile = _plain(profile)
            fields = _murmurations_fields(profile)
        except (ValueError, AttributeError, TypeError) as exc:
            yield RowError(position, f"profile is not of the organizations schema ({exc})")
            continue
        if overrides:
            named = {ours: theirs for ours, theirs in overrides.items() if theirs != NO_COLUMN}
            for ours in overrides.keys() - named.keys():
                fields.pop(ours, None)
            fields.update(_apply(profile, named))
        yield Row(line=position, key=position, raw=profile, fields=fields)
