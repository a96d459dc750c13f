"""Full-text and faceted search over organizations, on SQLite and PostgreSQL.

One inverted index answers "these words, in this place, on this issue, of this kind" in a
single lookup, because the filters are indexed as tokens beside the words:

- kind, status and hidden: one token each (`klocalgroup`, `sactive`, `hidden`);
- issue areas: one token per bit of `issue_mask` (`i3`);
- place: `place_lft` in base 4, one token per digit prefix (`g5x286` = place_lft >> 10 is 286).
  Any tree range lo..hi is the union of at most ~2 aligned blocks per level, so "inside
  California" is an OR of a dozen tokens, and a region an OR over its members;
- position: grid cells of 10°, 1° and 0.1° (`c1x302y127`), for "near a place".

Every token is computed from the organization's own row, so the index never depends on other
tables and a row's old tokens can always be recomputed to delete them.

SQLite: a contentless FTS5 table (it keeps only the index, no copy of the text) with columns
name, description and facets, kept current by triggers. PostgreSQL: a generated `search_vector`
tsvector column (words stemmed in English and weighted name-first, plus facet lexemes prefixed
with `#` so that no typed word can produce one) with a GIN index. Migration 0005 creates both;
this module is the one place that knows the token format and which database does what.

User text is never passed to either query language as is: it is cut into word tokens and each
becomes a quoted term, so punctuation and operators cannot change a query's meaning.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan

FTS_TABLE = "directory_organization_fts"
ORG_TABLE = "directory_organization"
# A query of more words than this is almost certainly pasted text; the first words decide.
MAX_TERMS = 8
ISSUE_BITS = 63
# place_lft must stay below 4**PLACE_LEVELS (about a million; the world's tree uses ~340,000).
PLACE_LEVELS = 10
PLACE_LIMIT = 4**PLACE_LEVELS
GEO_RESOLUTIONS = (10.0, 1.0, 0.1)
# Queries use the finest grid whose cells over the search box number at most this.
MAX_GEO_CELLS = 256

_WORD = re.compile(r"\w+", re.UNICODE)


# Token format ---------------------------------------------------------------------------------


def kind_token(kind: str) -> str:
    return "k" + kind.replace("_", "")


def status_token(status: str) -> str:
    return "s" + status.replace("_", "")


def issue_token(bit: int) -> str:
    return f"i{bit}"


def place_tokens(ranges: Iterable[tuple[int, int]]) -> list[str]:
    """Tokens whose union is exactly the organizations with place_lft in any of the ranges."""
    tokens: list[str] = []
    for lo, hi in ranges:
        lo, hi = max(lo, 0), min(hi, PLACE_LIMIT - 1)
        while lo <= hi:
            level = 0
            # Widen the block while it stays aligned and inside the range.
            while level + 1 < PLACE_LEVELS:
                size = 4 ** (level + 1)
                if lo % size or lo + size - 1 > hi:
                    break
                level += 1
            tokens.append(f"g{level}x{lo >> (2 * level)}")
            lo += 4**level
    return tokens


def _cell(value: float, offset: float, resolution: float) -> int:
    # Same float arithmetic as the index expressions: (coordinate + offset) / resolution.
    return int(math.floor((value + offset) / resolution))


def geo_tokens(south: float, west: float, north: float, east: float) -> list[str]:
    """Grid cells covering a box, at the finest resolution that keeps the list short."""
    south, north = max(south, -90.0), min(north, 90.0)
    spans = [(west, east)]
    if west < -180.0:
        spans = [(-180.0, east), (west + 360.0, 180.0)]
    elif east > 180.0:
        spans = [(west, 180.0), (-180.0, east - 360.0)]
    for index in range(len(GEO_RESOLUTIONS) - 1, -1, -1):
        res = GEO_RESOLUTIONS[index]
        ys = range(_cell(south, 90.0, res), _cell(north, 90.0, res) + 1)
        cells = [
            f"c{index}x{x}y{y}"
            for w, e in spans
            for x in range(_cell(w, 180.0, res), _cell(e, 180.0, res) + 1)
            for y in ys
        ]
        if len(cells) <= MAX_GEO_CELLS or index == 0:
            return cells
    return []  # unreachable: the coarsest grid always answers


def search_terms(text: str) -> list[str]:
    return _WORD.findall(text.lower())[:MAX_TERMS]


# Index definitions (frozen copies live in migration 0005) -----------------------------------


def sqlite_facets_sql(row: str) -> str:
    """SQLite expression building the facets text from the columns of `row` (new, old, o)."""
    r = row
    issue = " || ".join(
        f"(CASE WHEN {r}.issue_mask & {1 << b} THEN ' i{b}' ELSE '' END)" for b in range(ISSUE_BITS)
    )
    place = " || ".join(
        f"' g{level}x' || ({r}.place_lft >> {2 * level})" for level in range(PLACE_LEVELS)
    )
    geo = " || ".join(
        f"' c{i}x' || CAST(({r}.longitude + 180.0) / {res!r} AS INTEGER)"
        f" || 'y' || CAST(({r}.latitude + 90.0) / {res!r} AS INTEGER)"
        for i, res in enumerate(GEO_RESOLUTIONS)
    )
    return (
        f"'k' || replace({r}.kind, '_', '') || ' s' || replace({r}.status, '_', '')"
        f" || (CASE WHEN {r}.is_hidden THEN ' hidden' ELSE '' END) || {issue}"
        f" || (CASE WHEN {r}.place_lft IS NULL THEN '' ELSE {place} END)"
        f" || (CASE WHEN {r}.latitude IS NULL OR {r}.longitude IS NULL THEN '' ELSE {geo} END)"
    )


_WATCHED = (
    "name",
    "description",
    "kind",
    "status",
    "is_hidden",
    "issue_mask",
    "place_lft",
    "latitude",
    "longitude",
)


def _sqlite_triggers() -> dict[str, str]:
    insert = f"INSERT INTO {FTS_TABLE}(rowid, name, description, facets) VALUES (new.id, new.name, new.description, {sqlite_facets_sql('new')});"
    delete = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name, description, facets) "
        f"VALUES ('delete', old.id, old.name, old.description, {sqlite_facets_sql('old')});"
    )
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ("id", *_WATCHED))
    return {
        "directory_organization_fts_ai": f"CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ai AFTER INSERT ON {ORG_TABLE} BEGIN {insert} END",
        "directory_organization_fts_ad": f"CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ad AFTER DELETE ON {ORG_TABLE} BEGIN {delete} END",
        "directory_organization_fts_au": f"CREATE TRIGGER IF NOT EXISTS directory_organization_fts_au AFTER UPDATE ON {ORG_TABLE} WHEN {changed} BEGIN {delete} {insert} END",
    }


# Kept here (and frozen in migration 0005) so the post-migrate check can restore them: on
# SQLite, Django alters a table by rebuilding it, and dropping the old table drops its triggers.
SQLITE_TRIGGERS = _sqlite_triggers()


def postgres_vector_sql() -> str:
    """PostgreSQL expression for the generated search_vector column (immutable by design)."""
    lexemes = [
        "'#k' || replace(kind, '_', '')",
        "'#s' || replace(status, '_', '')",
        "CASE WHEN is_hidden THEN '#hidden' END",
        *(
            f"CASE WHEN issue_mask & {1 << b}::bigint <> 0 THEN '#i{b}' END"
            for b in range(ISSUE_BITS)
        ),
        *(
            f"CASE WHEN place_lft IS NOT NULL THEN '#g{level}x' || (place_lft >> {2 * level})::text END"
            for level in range(PLACE_LEVELS)
        ),
        *(
            f"CASE WHEN latitude IS NOT NULL AND longitude IS NOT NULL THEN '#c{i}x'"
            f" || floor((longitude + 180.0::float8) / {res!r}::float8)::bigint::text || 'y'"
            f" || floor((latitude + 90.0::float8) / {res!r}::float8)::bigint::text END"
            for i, res in enumerate(GEO_RESOLUTIONS)
        ),
    ]
    return (
        "setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')"
        " || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
        f" || array_to_tsvector(array_remove(ARRAY[{', '.join(lexemes)}]::text[], NULL))"
    )


# Queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What to look for. Empty fields do not filter."""

    text: str = ""
    ranges: tuple[tuple[int, int], ...] | None = None
    issue_bit: int | None = None
    kind: str = ""
    status: str = ""
    box: tuple[float, float, float, float] | None = None  # south, west, north, east
    include_hidden: bool = False

    @property
    def terms(self) -> list[str]:
        return search_terms(self.text)

    def facet_groups(self) -> list[list[str]]:
        """Each inner list is an OR of tokens; the groups are ANDed."""
        groups: list[list[str]] = []
        if self.ranges is not None:
            groups.append(place_tokens(self.ranges) or ["g0xnone"])
        if self.issue_bit is not None:
            groups.append([issue_token(self.issue_bit)])
        if self.kind:
            groups.append([kind_token(self.kind)])
        if self.status:
            groups.append([status_token(self.status)])
        if self.box is not None:
            groups.append(geo_tokens(*self.box))
        return groups

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.facet_groups()


def fts5_query(spec: Spec) -> str:
    parts = []
    terms = spec.terms
    if terms:
        # Each word is a quoted string, so FTS5 reads it as a plain term, never an operator.
        words = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        parts.append(f"{{name description}} : ({words})")
    for group in spec.facet_groups():
        parts.append("facets : (" + " OR ".join(group) + ")")
    query = " AND ".join(parts)
    if not spec.include_hidden:
        query += " NOT facets : hidden"
    return query


def _tsquery_words(terms: list[str]) -> str:
    # \w+ tokens hold no tsquery operators; quoting guards against the odd one that might.
    return " & ".join("'" + t.replace("'", "''").replace("\\", "") + "'" for t in terms)


def _tsquery_facets(spec: Spec) -> str:
    parts = [
        "(" + " | ".join(f"'#{token}'" for token in group) + ")" for group in spec.facet_groups()
    ]
    if not spec.include_hidden:
        parts.append("!'#hidden'")
    return " & ".join(parts)


def vendor_for(qs: QuerySet) -> str:
    return connections[qs.db].vendor


def match_filter(spec: Spec, vendor: str) -> Q:
    """A filter limiting organizations to those the index says match `spec`."""
    if spec.is_empty:
        return Q() if spec.include_hidden else Q(is_hidden=False)
    if vendor == "sqlite":
        # Parameters are bound; the only interpolation is the fixed table name.
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        return Q(pk__in=RawSQL(sql, [fts5_query(spec)]))  # noqa: S611
    if vendor == "postgresql":
        terms = spec.terms
        facets = _tsquery_facets(spec)
        if terms and facets:
            sql = "search_vector @@ (to_tsquery('english'::regconfig, %s) && %s::tsquery)"
            params = [_tsquery_words(terms), facets]
        elif terms:
            sql, params = (
                "search_vector @@ to_tsquery('english'::regconfig, %s)",
                [_tsquery_words(terms)],
            )
        else:
            sql, params = "search_vector @@ %s::tsquery", [_tsquery_facets(spec)]
        return Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611
    return column_filter(spec)


def column_filter(spec: Spec) -> Q:
    """The same meaning as the index, tested on the table's own columns.

    Other databases use it for everything; PostgreSQL for searches without words, where its
    b-tree on place_lft and the name index (with up-to-date column statistics) beat re-reading
    every match's text vector.
    """
    q = Q()
    for term in spec.terms:
        q &= Q(name__icontains=term) | Q(description__icontains=term)
    if spec.ranges is not None:
        place = Q(pk__in=[])
        for lo, hi in spec.ranges:
            place |= Q(place_lft__gte=lo, place_lft__lte=hi)
        q &= place
    if spec.issue_bit is not None:
        q &= Q(GreaterThan(F("issue_mask").bitand(1 << spec.issue_bit), 0))
    if spec.kind:
        q &= Q(kind=spec.kind)
    if spec.status:
        q &= Q(status=spec.status)
    if spec.box is not None:
        south, west, north, east = spec.box
        q &= Q(latitude__gte=south, latitude__lte=north)
        if west < -180.0:
            q &= Q(longitude__gte=west + 360.0) | Q(longitude__lte=east)
        elif east > 180.0:
            q &= Q(longitude__gte=west) | Q(longitude__lte=east - 360.0)
        else:
            q &= Q(longitude__gte=west, longitude__lte=east)
    if not spec.include_hidden:
        q &= Q(is_hidden=False)
    return q


def matching_ids(spec: Spec, limit: int, using: str = "default") -> list[int]:
    """Ids of up to `limit` matches in one pass over the index.

    SQLite: in no particular order. PostgreSQL: sorted by name then id, because reading each
    match's row (to recheck its text) already brings its name along; searches without words
    use the table's own columns and b-tree indexes there.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s",  # noqa: S608
                [fts5_query(spec), limit],
            )
            return [row[0] for row in cursor.fetchall()]
        from directory.models import Organization

        condition = match_filter(spec, connection.vendor) if spec.terms else column_filter(spec)
        qs = Organization.objects.using(using).filter(condition).order_by()
        sql, params = qs.values_list("name", "id").query.sql_with_params()
        cursor.execute(f"{sql} LIMIT %s", [*params, limit])
        # Python orders text by code point, as PostgreSQL's C collation does.
        return [pk for _, pk in sorted(cursor.fetchall())]


def ids_subquery(ids: list[int], vendor: str) -> RawSQL | list[int]:
    """`ids` as one subquery parameter whatever their number, for an `__in` filter."""
    if vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])  # noqa: S611
    if vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])  # noqa: S611
    return ids


def count(spec: Spec, using: str = "default") -> int | None:
    """Exact number of matches straight from the index, or None where that is not cheap."""
    connection = connections[using]
    if connection.vendor != "sqlite" or spec.is_empty:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
            [fts5_query(spec)],
        )
        return int(cursor.fetchone()[0])


def newest_bound(spec: Spec, keep: int, using: str = "default") -> int | None:
    """The id above which the `keep` newest matches lie (SQLite), so a page of newest matches
    can be read without listing every older one."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
            "ORDER BY rowid DESC LIMIT 1 OFFSET %s",
            [fts5_query(spec), keep],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def table_count(using: str = "default") -> int | None:
    """All organizations, hidden included: on SQLite a b-tree count, with no row reads."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {ORG_TABLE}")  # noqa: S608
        return int(cursor.fetchone()[0])


def hidden_count(using: str = "default") -> int | None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH 'facets : hidden'"
        )  # noqa: S608
        return int(cursor.fetchone()[0])


def filter_text(qs: QuerySet, text: str) -> QuerySet:
    """Limit organizations to those whose name or description has every word of `text`."""
    if not search_terms(text):
        return qs
    return qs.filter(match_filter(Spec(text=text, include_hidden=True), vendor_for(qs)))


# Index upkeep ---------------------------------------------------------------------------------


def sqlite_index_is_complete(using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [ORG_TABLE]
        )
        present = {row[0] for row in cursor.fetchall()}
    return set(SQLITE_TRIGGERS) <= present


def ensure_index(using: str = "default") -> bool:
    """Restore the SQLite triggers if a table rebuild dropped them, and re-index; True if it did."""
    connection = connections[using]
    if connection.vendor != "sqlite" or sqlite_index_is_complete(using):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        row = cursor.fetchone()
        if row is None or "facets" not in row[0]:
            return False  # the migration creating this index has not run yet
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
    rebuild_index(using)
    return True


def index_rows_from(first_id: int, using: str = "default") -> None:
    """Index rows with id >= first_id that were written while the triggers were paused."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, name, description, facets) "  # noqa: S608
            f"SELECT o.id, o.name, o.description, {sqlite_facets_sql('o')} "
            f"FROM {ORG_TABLE} o WHERE o.id >= %s",
            [first_id],
        )


def rebuild_index(using: str = "default") -> None:
    """Index every organization again from scratch (after bulk writes that bypassed it)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return  # PostgreSQL's generated column is always current
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    index_rows_from(0, using)


@contextmanager
def triggers_paused(*, first_new_id: int | None = None, using: str = "default") -> Iterator[None]:
    """Write many rows without per-row index upkeep, then index them in one statement.

    Only for inserts (and deletes followed by a rebuild): with `first_new_id`, rows from that id
    on are indexed afterwards; without it the whole index is rebuilt. Call inside the writing
    transaction: SQLite's DDL is transactional, so no other writer sees the triggers missing.
    """
    connection = connections[using]
    if connection.vendor != "sqlite" or not sqlite_index_is_complete(using):
        yield
        return
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    yield
    if first_new_id is None:
        rebuild_index(using)
    else:
        index_rows_from(first_new_id, using)
    with connection.cursor() as cursor:
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)


def analyze(using: str = "default") -> None:
    """Refresh the query planner's statistics after bulk loads, so it picks the right indexes."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {ORG_TABLE}")
