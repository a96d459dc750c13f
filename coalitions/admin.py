"""Memberships are decided by the groups on both sides, so staff may look but not change."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from coalitions.models import ClusterLead, CoalitionProfile, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "coalition", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["member", "coalition"]
    search_fields = ["member__name", "coalition__name"]
    raw_id_fields = ["coalition", "member", "requested_by", "decided_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CoalitionProfile)
class CoalitionProfileAdmin(admin.ModelAdmin):
    """Staff may correct a coalition's level or area; the coalition's own pages are the usual way."""

    list_display = ["organization", "level", "span", "created_at"]
    list_filter = ["level"]
    list_select_related = ["organization", "span"]
    search_fields = ["organization__name"]
    raw_id_fields = ["organization", "span", "started_by"]


@admin.register(ClusterLead)
class ClusterLeadAdmin(MembershipAdmin):
    """Lead groups are offered by the group and confirmed by the coalition: staff only look."""

    list_display = ["organization", "issue", "coalition", "status", "created_at", "decided_at"]
    list_select_related = ["organization", "issue", "coalition"]
    search_fields = ["organization__name", "coalition__name"]
    raw_id_fields = ["coalition", "organization", "volunteered_by", "decided_by"]
