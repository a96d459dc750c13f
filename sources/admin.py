from django.contrib import admin

from sources.models import FieldProvenance, ImportRun, Source, SourceRecord


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "format", "created_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "source", "status", "rows", "created", "updated", "vanished", "errors"]
    list_filter = ["status"]
    readonly_fields = ["error_report", "preview"]


@admin.register(SourceRecord)
class SourceRecordAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "record_key", "city", "country_code", "vanished"]
    list_filter = ["source", "vanished"]
    search_fields = ["name", "name_clean", "external_id"]
    raw_id_fields = ["organization", "place", "first_seen_run", "last_seen_run"]


@admin.register(FieldProvenance)
class FieldProvenanceAdmin(admin.ModelAdmin):
    list_display = ["organization", "field", "origin", "recorded_at"]
    list_filter = ["origin", "field"]
    raw_id_fields = ["organization", "record", "recorded_by"]
