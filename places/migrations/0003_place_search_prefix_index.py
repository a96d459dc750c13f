"""PostgreSQL only: an index that serves `search_name LIKE 'prefix%'` for place suggestions.

SQLite answers the same search with a range on the existing index, so it needs nothing.
"""

from django.db import migrations

INDEX = "places_place_search_prefix"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON places_place (search_name varchar_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("places", "0002_placesstate_place_alternate_names")]

    operations = [migrations.RunPython(forwards, backwards)]
