"""Assemblies decide by their own members' votes, so staff may look but not change."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from assemblies.models import Assembly, Delegate, Proposal, Question


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assembly)
class AssemblyAdmin(_ReadOnly):
    list_display = ["organization", "people", "support_threshold", "proposal_count", "created_at"]
    list_select_related = ["organization"]
    search_fields = ["organization__name"]


@admin.register(Proposal)
class ProposalAdmin(_ReadOnly):
    list_display = ["title", "assembly", "status", "support_count", "argument_count"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(Question)
class QuestionAdmin(_ReadOnly):
    list_display = ["title", "assembly", "method", "state", "ballot_count", "closes_at"]
    list_filter = ["method", "state"]


@admin.register(Delegate)
class DelegateAdmin(_ReadOnly):
    list_display = ["user", "group", "coalition", "status", "started_at", "recalled_at"]
    list_filter = ["status"]
    list_select_related = ["user", "group", "coalition"]
    search_fields = ["group__name", "coalition__name"]
