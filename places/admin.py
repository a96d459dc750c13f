"""Admin pages for places. The tree comes from `commonweal places load`, so its shape (kind,
parent, codes, numbering) is read-only here; coordinators correct names and centres, and
define overlay regions. Every change goes through the services so the geocoder rebuilds."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from places import services
from places.models import OVERLAY_KINDS, Place, PlaceKind

_TREE_FIELDS = [
    "name",
    "kind",
    "iso_code",
    "slug",
    "source_ref",
    "parent",
    "description",
    "alternate_names",
    "latitude",
    "longitude",
    "population",
    "depth",
    "lft",
    "rgt",
]
_REGION_FIELDS = ["name", "kind", "slug", "description", "members"]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "iso_code", "parent", "population"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["search_name", "iso_code", "slug"]
    autocomplete_fields = ["members"]
    # Exact counts of ~200k places on every page view are not worth their cost.
    show_full_result_count = False

    def get_fields(self, request: HttpRequest, obj: Place | None = None) -> list[Any]:
        if obj is None:
            return [f for f in _REGION_FIELDS if f != "slug"]
        return _REGION_FIELDS if obj.is_overlay else _TREE_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Place | None = None) -> list[str]:
        if obj is None:
            return []
        if obj.is_overlay:
            return ["kind", "slug"]
        return [f for f in _TREE_FIELDS if f not in services.PLACE_EDITABLE_FIELDS]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "kind":
            # Only regions are made here; the tree comes from the loader.
            kwargs["choices"] = [(k, PlaceKind(k).label) for k in OVERLAY_KINDS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            region = services.region_create(
                user=request.user,
                name=data["name"],
                kind=data["kind"],
                members=data["members"],
                description=data.get("description", ""),
            )
            obj.pk, obj.slug = region.pk, region.slug
        elif obj.is_overlay:
            services.region_update(
                user=request.user,
                region=Place.objects.get(pk=obj.pk),
                name=data["name"],
                members=data["members"],
                description=data.get("description", ""),
            )
        else:
            services.place_update(
                user=request.user,
                place=Place.objects.get(pk=obj.pk),
                **{f: data[f] for f in services.PLACE_EDITABLE_FIELDS if f in data},
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Members were saved by the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Place | None = None) -> bool:
        # Tree places hold organizations and children; only regions may go.
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_overlay)

    def delete_model(self, request: HttpRequest, obj: Place) -> None:
        services.region_delete(user=request.user, region=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Place]) -> None:
        for region in queryset.filter(kind__in=OVERLAY_KINDS):
            services.region_delete(user=request.user, region=region)
