from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is a record; retries go through the hub's outbox page."""

    list_display = ["created_at", "recipient", "subject", "state", "attempts"]
    list_filter = ["state", "purpose"]
    search_fields = ["recipient", "subject"]
    exclude = ["raw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
