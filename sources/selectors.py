"""Reads about sources, limited to what the user may see."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from directory.models import IssueAreaOrigin, Organization
from sources.models import ORIGIN_RANK, FieldProvenance, ImportRun, Origin, Source
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


# The fields a public listing page shows, in page order, with the words it uses for them.
# Latitude stands for the map pin as a whole: longitude always comes with it.
_PUBLIC_FIELDS = {
    "name": "Name",
    "kind": "Kind of group",
    "status": "Status",
    "description": "Description",
    "issue_areas": "Issue areas",
    "website": "Website",
    "facebook": "Facebook",
    "public_email": "Email",
    "public_phone": "Phone",
    "languages": "Languages",
    "home_place": "Home place",
    "latitude": "Place on the map",
}


@dataclass(frozen=True)
class FieldSource:
    """Where one field shown on a listing came from, in words a visitor reads."""

    field: str
    label: str
    # import / claim / coordinator, or for issue areas without a dated word: "auto" (the
    # automatic tagger) or "person" (a correction by the group or a coordinator).
    origin: str
    source_name: str
    record_key: int | None
    recorded_at: datetime | None
    # Other origins or lists that said something different (named, never their values).
    others: tuple[str, ...]

    @property
    def is_import(self) -> bool:
        return self.origin == Origin.IMPORT


def _is_web_address(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


# Stands for "shown on the page, but not compared with what the provenance says".
_UNCOMPARED = object()


def _shown_values(org: Organization) -> dict[str, Any]:
    """What the page shows for each public field that has a value, in provenance's form.
    Issue areas are not compared: reading them would cost a query."""
    facebook = (org.social_links or {}).get("facebook")
    shown: dict[str, Any] = {
        "name": org.name,
        "kind": org.kind,
        "status": org.status,
        "description": org.description,
        "issue_areas": _UNCOMPARED if org.issue_mask else None,
        "website": org.website if _is_web_address(org.website) else None,
        "facebook": facebook if _is_web_address(facebook) else None,
        "public_email": org.public_email,
        "public_phone": org.public_phone,
        "languages": org.languages,
        "home_place": org.home_place_id,
        "latitude": org.latitude if org.longitude is not None else None,
    }
    return {name: value for name, value in shown.items() if value not in (None, "", [], {})}


def _winner_first(rows: list[FieldProvenance]) -> list[FieldProvenance]:
    # The same order the provenance layer applies: rank, then the latest word between equals.
    return sorted(
        rows,
        key=lambda p: (ORIGIN_RANK[Origin(p.origin)], p.recorded_at),
        reverse=True,
    )


def _origin_words(row: FieldProvenance) -> str:
    if row.origin == Origin.IMPORT:
        return row.record.source.name if row.record is not None else "an imported list"
    if row.origin == Origin.CLAIM:
        return "the group itself"
    return "a coordinator"


def listing_field_sources(organization: Organization) -> list[FieldSource]:
    """For each field the public page shows, which origin's word it is, and which others said
    something different. One query; never who recorded it, never the values themselves
    (an older value a group chose to remove, such as an email address, stays unsaid)."""
    shown = _shown_values(organization)
    by_field: dict[str, list[FieldProvenance]] = {}
    rows = (
        field_sources(organization)
        .filter(field__in=list(shown))
        .only(
            "field",
            "value",
            "origin",
            "recorded_at",
            "record__record_key",
            "record__source__name",
        )
    )
    for row in rows:
        by_field.setdefault(row.field, []).append(row)
    result: list[FieldSource] = []
    for name, label in _PUBLIC_FIELDS.items():
        if name == "issue_areas" and name in shown:
            # Who chose the areas is kept on the listing itself; a dated word is shown when
            # one of the recorded origins said them, else only who chose them.
            chosen = organization.issue_areas_origin
            if chosen == IssueAreaOrigin.AUTO or (
                chosen == IssueAreaOrigin.COORDINATOR and name not in by_field
            ):
                how = "auto" if chosen == IssueAreaOrigin.AUTO else "person"
                result.append(
                    FieldSource(
                        field=name,
                        label=label,
                        origin=how,
                        source_name="",
                        record_key=None,
                        recorded_at=None,
                        others=(),
                    )
                )
                continue
            if chosen != IssueAreaOrigin.COORDINATOR:
                continue
        if name not in shown or name not in by_field:
            continue
        ordered = _winner_first(by_field[name])
        winner = ordered[0]
        if shown[name] is not _UNCOMPARED and winner.value != shown[name]:
            # The page shows something none of the recorded origins said: better silent
            # than wrong.
            continue
        others = tuple(
            dict.fromkeys(_origin_words(row) for row in ordered[1:] if row.value != winner.value)
        )
        result.append(
            FieldSource(
                field=name,
                label=label,
                origin=winner.origin,
                source_name=_origin_words(winner),
                record_key=winner.record.record_key if winner.record is not None else None,
                recorded_at=winner.recorded_at,
                others=others,
            )
        )
    return result
