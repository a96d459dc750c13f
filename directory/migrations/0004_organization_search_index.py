"""Full-text index over organizations' names and descriptions, one per database vendor.

SQLite: an FTS5 external-content table (it stores only the index, reading text from
directory_organization) kept current by triggers. PostgreSQL: a generated tsvector column
with a GIN index. directory/search.py queries whichever exists.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE directory_organization_fts USING fts5(
        name, description,
        content='directory_organization', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ai
        AFTER INSERT ON directory_organization BEGIN
            INSERT INTO directory_organization_fts(rowid, name, description)
            VALUES (new.id, new.name, new.description);
        END""",
    """CREATE TRIGGER IF NOT EXISTS directory_organization_fts_ad
        AFTER DELETE ON directory_organization BEGIN
            INSERT INTO directory_organization_fts(directory_organization_fts, rowid, name, description)
            VALUES ('delete', old.id, old.name, old.description);
        END""",
    """CREATE TRIGGER IF NOT EXISTS directory_organization_fts_au
        AFTER UPDATE ON directory_organization
        WHEN old.name IS NOT new.name OR old.description IS NOT new.description
          OR old.id IS NOT new.id BEGIN
            INSERT INTO directory_organization_fts(directory_organization_fts, rowid, name, description)
            VALUES ('delete', old.id, old.name, old.description);
            INSERT INTO directory_organization_fts(rowid, name, description)
            VALUES (new.id, new.name, new.description);
        END""",
    "INSERT INTO directory_organization_fts(directory_organization_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_organization_fts_ai",
    "DROP TRIGGER IF EXISTS directory_organization_fts_ad",
    "DROP TRIGGER IF EXISTS directory_organization_fts_au",
    "DROP TABLE IF EXISTS directory_organization_fts",
]

POSTGRES_FORWARD = [
    # Name words weigh more than description words when results are ranked.
    """ALTER TABLE directory_organization ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
        ) STORED""",
    "CREATE INDEX directory_organization_search_gin ON directory_organization USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS directory_organization_search_gin",
    "ALTER TABLE directory_organization DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_default_issue_areas")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
