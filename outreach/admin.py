from django.contrib import admin

from outreach.models import ClaimLink, ClaimRequest, OutreachEntry, StageChange


@admin.register(ClaimRequest)
class ClaimRequestAdmin(admin.ModelAdmin):
    list_display = ["organization", "user", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["organization", "user", "decided_by"]


@admin.register(ClaimLink)
class ClaimLinkAdmin(admin.ModelAdmin):
    list_display = ["organization", "requested_by", "sent_at", "used_at", "used_by"]
    raw_id_fields = ["organization", "requested_by", "used_by"]


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    raw_id_fields = ["changed_by"]


@admin.register(OutreachEntry)
class OutreachEntryAdmin(admin.ModelAdmin):
    list_display = ["organization", "place", "stage", "next_step_on", "assigned_to"]
    list_filter = ["stage"]
    raw_id_fields = ["organization", "place", "assigned_to", "created_by"]
    inlines = [StageChangeInline]
