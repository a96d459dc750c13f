"""Undo an import run: what it created goes, what it changed returns to the values before, and
merges it caused come apart.

A run keeps, for every record that existed before it and that it touched, the values it found
(`RecordChange.before`), including the organization a record belonged to before duplicate
finding moved it. Undo deletes the records the run first saw, writes those values back,
returns moved records to their organizations (through the resolution app's split when their
old organization is gone, so that the next import does not merge them again), removes listings
left without records that nobody claimed or corrected, and brings the rest up to date with
their records. Only a source's latest finished run can be undone: a later run built on it.
"""

from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.services import audit_record
from directory.models import Organization, OrganizationAdmin
from directory.permissions import is_site_coordinator
from directory.services import directory_touch
from sources import bulk
from sources.models import FieldProvenance, ImportRun, Origin, RunStatus, SourceRecord
from sources.permissions import can_import
from sources.services.organizations import organizations_apply_records, organizations_for_records
from sources.services.provenance import _user, fields_unsaid
from sources.signals import HANDLED, records_unmerged


def can_undo(user: Any, run: ImportRun) -> bool:
    """The coordinator who ran the import, or a site coordinator, while it is the source's
    latest finished run."""
    if not can_import(user):
        return False
    if run.created_by_id not in (None, user.pk) and not is_site_coordinator(user):
        return False
    return run.status == RunStatus.DONE and _complete(run) and not _later_runs(run).exists()


def _complete(run: ImportRun) -> bool:
    # A run from before undo existed kept nothing of what it changed: only one that merely
    # added records can be taken back whole.
    return run.keeps_undo or not (run.updated or run.vanished or run.reappeared)


def _later_runs(run: ImportRun) -> Any:
    return ImportRun.objects.filter(source_id=run.source_id, pk__gt=run.pk, status=RunStatus.DONE)


def _removable(org_ids: set[int]) -> set[int]:
    """Organizations without records that no admin holds and no claim or coordinator touched."""
    if not org_ids:
        return set()
    ids = list(org_ids)
    keep = set(
        OrganizationAdmin.objects.filter(organization_id__in=ids).values_list(
            "organization_id", flat=True
        )
    )
    keep |= set(
        FieldProvenance.objects.filter(organization_id__in=ids)
        .exclude(origin=Origin.IMPORT)
        .values_list("organization_id", flat=True)
    )
    keep |= set(
        SourceRecord.objects.filter(organization_id__in=ids).values_list(
            "organization_id", flat=True
        )
    )
    return org_ids - keep


def _restored(before: dict[str, Any]) -> dict[str, Any]:
    values = dict(before)
    if isinstance(values.get("vanished_at"), str):
        values["vanished_at"] = parse_datetime(values["vanished_at"])
    return values


@transaction.atomic
def import_run_undo(*, user: Any, run: ImportRun) -> dict[str, int]:
    """Roll back a finished import run. Returns counts of what was taken back."""
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if not can_import(user):
        raise PermissionDenied(_("Only coordinators undo imports."))
    if run.created_by_id not in (None, user.pk) and not is_site_coordinator(user):
        raise PermissionDenied(_("Only the coordinator who ran this import can undo it."))
    if run.status != RunStatus.DONE:
        raise ValidationError(_("Only a finished import can be undone."))
    if not _complete(run):
        raise ValidationError(
            _("This import ran before imports kept what they changed; it cannot be undone.")
        )
    if _later_runs(run).exists():
        raise ValidationError(_("A later import of this source builds on this one: undo it first."))

    changes = {c.record_id: c.before for c in run.record_changes.all()}
    created = list(
        SourceRecord.objects.filter(first_seen_run=run).values_list("pk", "organization_id")
    )
    touched: set[int] = {org for _pk, org in created if org}
    touched |= set(
        SourceRecord.objects.filter(pk__in=list(changes), organization__isnull=False).values_list(
            "organization_id", flat=True
        )
    )

    # What it created goes.
    created_pks = [pk for pk, _org in created]
    for i in range(0, len(created_pks), 2000):
        SourceRecord.objects.filter(pk__in=created_pks[i : i + 2000]).delete()

    # What it changed returns to the values before.
    previous = (
        ImportRun.objects.filter(source_id=run.source_id, pk__lt=run.pk, status=RunStatus.DONE)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    moved: dict[int, list[int]] = defaultdict(list)
    # Records whose snapshots name the same fields are written back together.
    restore: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
    for pk, before in changes.items():
        values = _restored(before)
        if "organization_id" in values:
            moved[values.pop("organization_id")].append(pk)
        if values:
            names = tuple(sorted(values))
            restore[names].append([values[name] for name in names] + [pk])
    for names, rows in restore.items():
        bulk.update(SourceRecord, names, rows)
    SourceRecord.objects.filter(source_id=run.source_id, last_seen_run=run).update(
        last_seen_run_id=previous
    )

    # Merges it caused come apart: records go back to the organization they were in.
    split = _merges_undo(moved, user)
    touched |= set(moved) | split

    # Fields said only by the records that went are taken back before the rest follow the
    # records that remain.
    gone = _removable(touched)
    fields_unsaid(organization_ids=touched - gone)
    ordered = sorted(gone)
    for i in range(0, len(ordered), 1000):
        Organization.objects.filter(pk__in=ordered[i : i + 1000]).delete()
    organizations_apply_records(organization_ids=touched - gone)
    directory_touch()

    counts = {
        "records_removed": len(created_pks),
        "records_restored": len(changes),
        "organizations_removed": len(gone),
        "merges_undone": sum(len(pks) for pks in moved.values()),
    }
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.UNDONE, undone_at=timezone.now(), undone_by=_user(user)
    )
    run.refresh_from_db()
    audit_record(
        actor=_user(user),
        action="sources.import_undo",
        target=run,
        data={"source": run.source.name, "file": run.file_name, **counts},
    )
    return counts


def _merges_undo(moved: dict[int, list[int]], user: Any) -> set[int]:
    """Put records the run's duplicate finding moved back where they were. Their old
    organization, if it still exists, takes them back; otherwise they are split off into an
    organization of their own by the resolution app (which remembers the split), or, without
    it, given a new one here. Returns the organizations that received records."""
    received: set[int] = set()
    existing = set(Organization.objects.filter(pk__in=list(moved)).values_list("pk", flat=True))
    apart: list[list[int]] = []
    for old_org, pks in moved.items():
        if old_org in existing:
            SourceRecord.objects.filter(pk__in=pks).update(organization_id=old_org)
            received.add(old_org)
        else:
            apart.append(pks)
    for pks in apart:
        records = list(SourceRecord.objects.filter(pk__in=pks))
        answers = records_unmerged.send(sender=ImportRun, records=records, by=_user(user))
        if not any(answer == HANDLED for _receiver, answer in answers):
            SourceRecord.objects.filter(pk__in=pks).update(organization_id=None)
            organizations_for_records(record_ids=pks[:1])
            first = SourceRecord.objects.values_list("organization_id", flat=True).get(pk=pks[0])
            SourceRecord.objects.filter(pk__in=pks).update(organization_id=first)
    for pks in apart:
        received |= set(
            SourceRecord.objects.filter(pk__in=pks).values_list("organization_id", flat=True)
        )
    return received - {None}
