"""Let PostgreSQL's planner see how common each search token is.

With the default statistics, an OR of a dozen place tokens (a state, a region) was estimated
at a tenth of the table and answered with a sequential scan (15 s at a million listings);
with these it takes the GIN index. SQLite needs nothing here.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE directory_organization ALTER COLUMN search_vector SET STATISTICS 1000"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE directory_organization ALTER COLUMN search_vector SET STATISTICS -1"
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_faceted_search_index")]

    operations = [migrations.RunPython(forwards, backwards)]
