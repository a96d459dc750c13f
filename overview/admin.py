from django.contrib import admin

from overview.models import OverviewBuild


@admin.register(OverviewBuild)
class OverviewBuildAdmin(admin.ModelAdmin):
    list_display = ["id", "queued_at", "finished_at", "places", "seconds", "error"]
    readonly_fields = ["id", "queued_at", "finished_at", "places", "seconds", "error"]
