"""Read-only admin views: every change goes through the services, which keep counters right."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from actions.models import Alert, CallToAction, Commitment, Delivery, Subscription


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CallToAction)
class CallAdmin(ReadOnly):
    list_display = ["title", "coalition", "state", "active_count", "places_met", "deadline"]
    list_filter = ["state"]
    search_fields = ["title", "slug"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnly):
    list_display = ["organization", "call", "state", "expected_turnout", "event_date", "held"]
    list_filter = ["state"]
    raw_id_fields = ["organization", "call"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly):
    list_display = ["__str__", "email", "place", "active", "created_at"]
    list_filter = ["active"]
    exclude = ["webhook_secret"]


@admin.register(Alert)
class AlertAdmin(ReadOnly):
    list_display = ["subject", "kind", "state", "recipients", "created_at"]
    list_filter = ["kind", "state"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["alert", "channel", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
    exclude = ["address"]
