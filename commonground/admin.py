"""Staff may look at conversations and statements; votes and maps are never edited by hand,
and who voted is not shown (participants appear by number only)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from commonground.models import Conversation, Statement


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "call", "access", "is_private", "is_closed"]
    list_filter = ["access", "is_private", "is_closed", "moderation"]
    search_fields = ["title"]
    raw_id_fields = ["organization", "call", "created_by"]
    readonly_fields = [
        "vote_events",
        "recompute_pending",
        "recompute_after",
        "next_statement_number",
        "next_participant_number",
    ]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["text", "conversation", "number", "state", "is_seeded"]
    list_filter = ["state", "is_seeded"]
    search_fields = ["text"]
    raw_id_fields = ["conversation", "author", "moderated_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
