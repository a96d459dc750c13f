"""Full-text search over organizations' names and descriptions, on SQLite and PostgreSQL.

SQLite keeps an FTS5 external-content index (`directory_organization_fts`) that triggers keep
in step with the table. PostgreSQL keeps a generated `search_vector` column with a GIN index.
Both are created by migration 0004; this module is the one place that knows which is which.

User text is never passed to either query language as is: it is cut into word tokens, and
each token becomes a quoted term, so punctuation and operators cannot break a query.
"""

import re

from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

FTS_TABLE = "directory_organization_fts"
# A query of more words than this is almost certainly pasted text; the first words decide.
MAX_TERMS = 8

_WORD = re.compile(r"\w+", re.UNICODE)

# Kept here (and frozen in migration 0004) so the post-migrate check can restore them: on
# SQLite, Django rebuilds a table to alter it, and dropping the old table drops its triggers.
SQLITE_TRIGGERS = {
    "directory_organization_fts_ai": f"""
        CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ai
        AFTER INSERT ON directory_organization BEGIN
            INSERT INTO {FTS_TABLE}(rowid, name, description)
            VALUES (new.id, new.name, new.description);
        END""",
    "directory_organization_fts_ad": f"""
        CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ad
        AFTER DELETE ON directory_organization BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name, description)
            VALUES ('delete', old.id, old.name, old.description);
        END""",
    "directory_organization_fts_au": f"""
        CREATE TRIGGER IF NOT EXISTS directory_organization_fts_au
        AFTER UPDATE ON directory_organization
        WHEN old.name IS NOT new.name OR old.description IS NOT new.description
          OR old.id IS NOT new.id BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name, description)
            VALUES ('delete', old.id, old.name, old.description);
            INSERT INTO {FTS_TABLE}(rowid, name, description)
            VALUES (new.id, new.name, new.description);
        END""",
}


def search_terms(text: str) -> list[str]:
    return _WORD.findall(text.lower())[:MAX_TERMS]


def _fts5_query(terms: list[str]) -> str:
    # Each token is a quoted string: FTS5 then treats it as a plain term, never an operator.
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _tsquery(terms: list[str]) -> str:
    # \w+ tokens contain no tsquery operators; quoting guards against the odd one that might.
    return " & ".join("'" + t.replace("'", "''").replace("\\", "") + "'" for t in terms)


def vendor_for(qs: QuerySet) -> str:
    return connections[qs.db].vendor


def filter_text(qs: QuerySet, text: str) -> QuerySet:
    """Limit organizations to those whose name or description has every word of `text`."""
    terms = search_terms(text)
    if not terms:
        return qs
    vendor = vendor_for(qs)
    if vendor == "sqlite":
        # Parameters are bound; the only interpolation is the fixed table name.
        return qs.filter(
            pk__in=RawSQL(  # noqa: S611
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_fts5_query(terms)]
            )
        )
    if vendor == "postgresql":
        return qs.filter(
            RawSQL(
                "search_vector @@ to_tsquery('english'::regconfig, %s)",
                [_tsquery(terms)],
                output_field=BooleanField(),
            )
        )
    # Other databases: correct but unindexed.
    for term in terms:
        qs = qs.filter(Q(name__icontains=term) | Q(description__icontains=term))
    return qs


def sqlite_index_is_complete(using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'trigger' AND tbl_name = 'directory_organization'"
        )
        present = {row[0] for row in cursor.fetchall()}
    return set(SQLITE_TRIGGERS) <= present


def ensure_index(using: str = "default") -> bool:
    """Restore the SQLite triggers if a table rebuild dropped them, and re-index; True if it did."""
    connection = connections[using]
    if connection.vendor != "sqlite" or sqlite_index_is_complete(using):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        if cursor.fetchone() is None:
            return False  # migration 0004 has not run yet
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
    rebuild_index(using)
    return True


def rebuild_index(using: str = "default") -> None:
    """Re-read every name and description into the index (after bulk loads that bypass it)."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    # PostgreSQL's generated column is always current.
