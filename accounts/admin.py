"""Admin pages for people, their coordinator roles and the audit log (read-only)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

from accounts.models import AuditEvent, RegionalCoordinator, User
from accounts.services import audit_record


def _staff(request: HttpRequest) -> User | None:
    # Only signed-in staff reach the admin; anything else is recorded as no one.
    return request.user if isinstance(request.user, User) else None


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RegionalRoleInline(admin.TabularInline):
    """Shown, not edited: a coordinator role is granted only when a second coordinator confirms
    it (/vouching/roles/grant/), so one person at the admin cannot hand it out."""

    model = RegionalCoordinator
    extra = 0
    raw_id_fields = ["place"]
    readonly_fields = ["place", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "display_name", "is_site_coordinator", "is_staff", "is_active"]
    list_filter = ["is_site_coordinator", "is_staff", "is_active"]
    search_fields = ["email", "display_name"]
    inlines = [RegionalRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("display_name",)}),
        ("Roles", {"fields": ("is_active", "is_site_coordinator", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ()
    # Granting a role waits for a second coordinator (vouching/); regional roles can still be
    # removed here, in the inline below.
    readonly_fields = ["is_site_coordinator", "is_superuser"]

    def save_model(
        self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        roles = {"is_site_coordinator", "is_staff", "is_superuser", "is_active"}
        changed = sorted(roles & set(form.changed_data))
        if changed or not change:
            audit_record(
                actor=_staff(request),
                action="user.roles" if change else "user.create",
                target=obj,
                data={f: getattr(obj, f) for f in changed},
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for role in formset.new_objects:
            audit_record(
                actor=_staff(request),
                action="regional_coordinator.add",
                target=form.instance,
                data={"place": role.place.slug},
            )
        for role in formset.deleted_objects:
            audit_record(
                actor=_staff(request),
                action="regional_coordinator.remove",
                target=form.instance,
                data={"place_id": role.place_id},
            )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor__email"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
