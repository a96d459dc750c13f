"""Planks and visions are decided by assemblies, so staff may look but not change."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from programs.models import Endorsement, Plank, VisionSection


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plank)
class PlankAdmin(_ReadOnly):
    list_display = ["title", "assembly", "status", "endorsement_count", "place_count"]
    list_select_related = ["assembly__organization"]
    search_fields = ["title"]


@admin.register(Endorsement)
class EndorsementAdmin(_ReadOnly):
    list_display = ["plank", "assembly", "level", "place", "created_at"]
    list_select_related = ["plank", "assembly__organization", "place"]


@admin.register(VisionSection)
class VisionSectionAdmin(_ReadOnly):
    list_display = ["title", "assembly", "horizon", "status", "adopted_at"]
    list_select_related = ["assembly__organization"]
