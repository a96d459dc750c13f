"""Introductions are the groups' own business: staff may look but not change."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from connections.models import Introduction, IntroductionSide


class SideInline(admin.TabularInline):
    model = IntroductionSide
    extra = 0
    raw_id_fields = ["organization", "answered_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Introduction)
class IntroductionAdmin(admin.ModelAdmin):
    list_display = ["pk", "weaver", "status", "created_at", "accepted_at"]
    list_filter = ["status"]
    raw_id_fields = ["weaver", "team_place"]
    inlines = [SideInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
