"""Admin pages for site staff. Listing content belongs to each organization's admins, so here
listings are read-only apart from moderation, and every change goes through the services so
that masks, the directory version and the audit log stay right. Private contacts are not shown.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from directory import services
from directory.models import IssueArea, IssueLink, Organization
from directory.models import OrganizationAdmin as OrganizationAdminRole


@admin.register(IssueArea)
class IssueAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "bit"]
    search_fields = ["name", "slug"]
    readonly_fields = ["bit"]
    fields = ["name", "slug", "description", "bit"]

    def save_model(self, request: HttpRequest, obj: IssueArea, form: Any, change: bool) -> None:
        if change:
            services.issue_area_update(
                user=request.user,
                issue_area=IssueArea.objects.get(pk=obj.pk),
                name=obj.name,
                slug=obj.slug,
                description=obj.description,
            )
        else:
            created = services.issue_area_create(
                user=request.user, name=obj.name, slug=obj.slug, description=obj.description
            )
            obj.pk, obj.bit = created.pk, created.bit

    def delete_model(self, request: HttpRequest, obj: IssueArea) -> None:
        services.issue_area_delete(user=request.user, issue_area=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[IssueArea]) -> None:
        for area in queryset:
            services.issue_area_delete(user=request.user, issue_area=area)


@admin.register(IssueLink)
class IssueLinkAdmin(admin.ModelAdmin):
    list_display = ["from_issue", "to_issue", "note"]
    list_select_related = ["from_issue", "to_issue"]
    fields = ["from_issue", "to_issue", "note"]

    def save_model(self, request: HttpRequest, obj: IssueLink, form: Any, change: bool) -> None:
        link = services.issue_link_create(
            user=request.user, a=obj.from_issue, b=obj.to_issue, note=obj.note
        )
        obj.pk = link.pk

    def delete_model(self, request: HttpRequest, obj: IssueLink) -> None:
        services.issue_link_delete(user=request.user, a=obj.from_issue, b=obj.to_issue)


class AdminRoleInline(admin.TabularInline):
    model = OrganizationAdminRole
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
    verbose_name = "admin of this organization"
    verbose_name_plural = "admins of this organization"


@admin.register(Organization)
class OrganizationModelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "home_place", "is_hidden", "is_sample", "updated_at"]
    list_filter = ["kind", "status", "is_hidden", "is_sample"]
    list_select_related = ["home_place"]
    search_fields = ["name", "slug"]
    # Exact counts of a million rows on every page view are not worth their cost.
    show_full_result_count = False
    inlines = [AdminRoleInline]
    actions = ["hide", "unhide"]
    exclude = ["issue_mask", "place_lft"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Organization | None = None
    ) -> list[str]:
        # Only the organization's own admins change a listing, on the site; staff moderate.
        return [
            f.name
            for f in Organization._meta.get_fields()
            if getattr(f, "editable", False) and f.name not in ("issue_mask", "place_lft")
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        pass  # every listing field is read-only here; admins are saved by save_formset

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        organization = form.instance
        for role_form in formset.forms:
            data = getattr(role_form, "cleaned_data", None) or {}
            if not data or not role_form.has_changed():
                continue
            if data.get("DELETE") and data.get("id") is not None:
                services.organization_admin_remove(
                    user=request.user, organization=organization, admin=data["id"].user
                )
            elif data.get("user") is not None and not data.get("DELETE"):
                services.organization_admin_add(
                    user=request.user, organization=organization, new_admin=data["user"]
                )

    @admin.action(description="Hide from public pages, feeds and the API")
    def hide(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for org in queryset:
            services.organization_moderate(user=request.user, organization=org, is_hidden=True)
        messages.success(request, f"Hid {queryset.count()} listings.")

    @admin.action(description="Show again")
    def unhide(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for org in queryset:
            services.organization_moderate(user=request.user, organization=org, is_hidden=False)
        messages.success(request, f"Showed {queryset.count()} listings again.")
