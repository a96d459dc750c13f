"""Read-only admin views: every change goes through the services, which check and log it."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vouching.models import Admission, AssemblyBar, PendingAction, Suspension, Vouch


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Vouch)
class VouchAdmin(_ReadOnly):
    list_display = ["created_at", "organization", "voucher", "by", "flagged_at"]
    raw_id_fields = ["organization", "voucher"]


@admin.register(Suspension)
class SuspensionAdmin(_ReadOnly):
    list_display = ["created_at", "organization", "by", "lifted_at"]


@admin.register(AssemblyBar)
class AssemblyBarAdmin(_ReadOnly):
    list_display = ["coalition", "bar", "updated_at"]


@admin.register(Admission)
class AdmissionAdmin(_ReadOnly):
    list_display = ["coalition", "member", "how", "created_at"]


@admin.register(PendingAction)
class PendingActionAdmin(_ReadOnly):
    list_display = ["created_at", "kind", "summary", "state", "requested_by", "decided_by"]
    list_filter = ["kind", "state"]
