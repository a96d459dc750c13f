"""Reads about sources, limited to what the user may see."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from sources.models import FieldProvenance, ImportRun, Source
from sources.permissions import can_import


def _require(user: Any) -> None:
    if not can_import(user):
        raise PermissionDenied("Only coordinators see sources and imports.")


def sources_for_user(user: Any) -> QuerySet[Source]:
    _require(user)
    return Source.objects.annotate(
        record_count=Count("records", filter=Q(records__vanished=False), distinct=True),
        vanished_count=Count("records", filter=Q(records__vanished=True), distinct=True),
    ).order_by("name")


def get_source_for_user(user: Any, slug: str) -> Source:
    _require(user)
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        raise Http404("No such source.")
    return source


def get_run_for_user(user: Any, pk: int, *, write: bool = False) -> ImportRun:
    _require(user)
    run = ImportRun.objects.select_related("source", "created_by").filter(pk=pk).first()
    if run is None:
        raise Http404("No such import.")
    if write and run.created_by_id not in (None, user.pk) and not user.is_site_coordinator:
        raise PermissionDenied("Only the coordinator who uploaded this file can run it.")
    return run


def field_sources(organization: Any) -> QuerySet[FieldProvenance]:
    """Where each field of a public listing came from (source name, origin and date)."""
    return FieldProvenance.objects.filter(organization=organization).select_related(
        "record__source"
    )
