"""Fold the directory's filters into the full-text index, so that text + place + issue (+ kind,
status, position) is one index lookup at a million organizations.

SQLite: the external-content FTS5 table of 0004 becomes a contentless one with a third
column, `facets`, computed by the triggers from the row itself (no copy of the text is kept).
PostgreSQL: search_vector gains facet lexemes prefixed with '#'.

The SQL below is a frozen copy of what directory/search.py generates; it must not import it.
"""

from django.db import migrations

ISSUE_BITS = 63
PLACE_LEVELS = 10
GEO_RESOLUTIONS = (10.0, 1.0, 0.1)
FTS = "directory_organization_fts"
ORG = "directory_organization"
WATCHED = (
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


def sqlite_facets(r):
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


def sqlite_triggers():
    insert = f"INSERT INTO {FTS}(rowid, name, description, facets) VALUES (new.id, new.name, new.description, {sqlite_facets('new')});"
    delete = (
        f"INSERT INTO {FTS}({FTS}, rowid, name, description, facets) "
        f"VALUES ('delete', old.id, old.name, old.description, {sqlite_facets('old')});"
    )
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in ("id", *WATCHED))
    return [
        f"CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ai AFTER INSERT ON {ORG} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ad AFTER DELETE ON {ORG} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS directory_organization_fts_au AFTER UPDATE ON {ORG} WHEN {changed} BEGIN {delete} {insert} END",
    ]


DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS directory_organization_fts_ai",
    "DROP TRIGGER IF EXISTS directory_organization_fts_ad",
    "DROP TRIGGER IF EXISTS directory_organization_fts_au",
    f"DROP TABLE IF EXISTS {FTS}",
]


def sqlite_forward():
    return [
        *DROP_SQLITE,
        f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
            name, description, facets, content='',
            tokenize='porter unicode61 remove_diacritics 2'
        )""",
        *sqlite_triggers(),
        f"INSERT INTO {FTS}(rowid, name, description, facets) "
        f"SELECT o.id, o.name, o.description, {sqlite_facets('o')} FROM {ORG} o",
    ]


def sqlite_backward():
    """Back to 0004's external-content index over name and description."""
    return [
        *DROP_SQLITE,
        f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
            name, description, content='{ORG}', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )""",
        f"""CREATE TRIGGER directory_organization_fts_ai AFTER INSERT ON {ORG} BEGIN
            INSERT INTO {FTS}(rowid, name, description) VALUES (new.id, new.name, new.description);
        END""",
        f"""CREATE TRIGGER directory_organization_fts_ad AFTER DELETE ON {ORG} BEGIN
            INSERT INTO {FTS}({FTS}, rowid, name, description)
            VALUES ('delete', old.id, old.name, old.description);
        END""",
        f"""CREATE TRIGGER directory_organization_fts_au AFTER UPDATE ON {ORG}
            WHEN old.name IS NOT new.name OR old.description IS NOT new.description
              OR old.id IS NOT new.id BEGIN
            INSERT INTO {FTS}({FTS}, rowid, name, description)
            VALUES ('delete', old.id, old.name, old.description);
            INSERT INTO {FTS}(rowid, name, description) VALUES (new.id, new.name, new.description);
        END""",
        f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
    ]


def postgres_vector():
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


def postgres_forward():
    return [
        "DROP INDEX IF EXISTS directory_organization_search_gin",
        f"ALTER TABLE {ORG} DROP COLUMN IF EXISTS search_vector",
        f"ALTER TABLE {ORG} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({postgres_vector()}) STORED",
        f"CREATE INDEX directory_organization_search_gin ON {ORG} USING gin (search_vector)",
    ]


def postgres_backward():
    return [
        "DROP INDEX IF EXISTS directory_organization_search_gin",
        f"ALTER TABLE {ORG} DROP COLUMN IF EXISTS search_vector",
        f"""ALTER TABLE {ORG} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
        ) STORED""",
        f"CREATE INDEX directory_organization_search_gin ON {ORG} USING gin (search_vector)",
    ]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, list)():
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_organization_search_index")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": sqlite_forward, "postgresql": postgres_forward}),
            _run({"sqlite": sqlite_backward, "postgresql": postgres_backward}),
        )
    ]
