"""The run lifecycle: sources, import runs, their progress, and the run itself.

An import run is written in ONE transaction: records, organizations and provenance all commit
together or not at all, so a crash (or a dry run, which rolls back on purpose) leaves nothing
behind. Only the run's own status row is written outside it, before and after, so that the run
is seen as running and then as done or failed. Progress is reported through a small file in
var/imports/ because the run's transaction hides its own writes from the page that polls.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.services import audit_record
from commonweal.bulkdb import garbage_collection_paused, sqlite_page_cache
from commonweal.lib import sandbox
from directory.models import Organization
from directory.readers import ReadError, RowError
from directory.services import directory_touch
from sources import bulk
from sources.models import (
    ImportRun,
    RunStatus,
    Source,
    SourceRecord,
)
from sources.services.geocoding import _Places
from sources.services.liveness import (
    cancel_clear,
    cancel_requested,
    cancel_requester,
    heartbeat,
    stop_watch,
)
from sources.services.organizations import (
    organization_ids_of_records,
    organizations_apply_records,
    organizations_for_records,
)
from sources.services.provenance import _user
from sources.services.reader import Limits, _cleaned_chunks, _count_estimate, current_limits
from sources.signals import HANDLED, records_imported

# SQLite's page cache while a run writes records, listings and their indexes (see bulkdb).
IMPORT_CACHE_MIB = 512
_RECORD_UPDATE = (
    "record_key",
    "line",
    "external_id",
    "raw",
    "name",
    "name_clean",
    "address",
    "city",
    "region",
    "region_code",
    "postcode",
    "country",
    "country_code",
    "latitude",
    "longitude",
    "place_id",
    "website",
    "website_clean",
    "facebook",
    "email",
    "email_clean",
    "phone",
    "phone_clean",
    "description",
    "tags",
    "content_hash",
    "last_seen_run_id",
    "vanished",
    "vanished_at",
    "updated_at",
)


class ImportFailed(Exception):
    """The run stopped; nothing it did was kept."""


@dataclass
class ImportOutcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    vanished: int = 0
    reappeared: int = 0
    organizations_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    # The first rows as mapped, for the preview.
    sample: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        listings = (
            f"at most {self.organizations_created} organizations would be created "
            "(duplicates are merged when the import runs)"
            if self.dry_run
            else f"{self.organizations_created} organizations created"
        )
        return (
            f"{self.rows} rows: {self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.vanished} vanished, {self.reappeared} back again, "
            f"{len(self.errors)} errors; {listings}"
        )

    def as_preview(self) -> dict[str, Any]:
        return {
            "ready": True,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "vanished": self.vanished,
            "reappeared": self.reappeared,
            "organizations_created": self.organizations_created,
            "errors": [{"line": e.line, "reason": e.reason} for e in self.errors[:1000]],
            "error_count": len(self.errors),
            "sample": self.sample,
        }


# --------------------------------------------------------------------------- sources and runs


@transaction.atomic
def source_get_or_create(
    *, name: str, user: Any = None, fmt: str = "", location: str = ""
) -> Source:
    name = name.strip()[:200]
    if not name:
        raise ValueError("a source needs a name")
    source = Source.objects.filter(name=name).first()
    if source is not None:
        return source
    base = slugify(name)[:180] or "source"
    slug, i = base, 1
    while Source.objects.filter(slug=slug).exists():
        i += 1
        slug = f"{base}-{i}"
    return Source.objects.create(
        name=name, slug=slug, format=fmt, location=location[:1000], created_by=_user(user)
    )


@transaction.atomic
def import_run_create(
    *,
    source: Source,
    user: Any,
    path: Path,
    fmt: str = "",
    mapping: dict[str, str] | None = None,
    file_name: str = "",
    status: str = RunStatus.QUEUED,
) -> ImportRun:
    return ImportRun.objects.create(
        source=source,
        created_by=_user(user),
        file_path=str(path),
        file_name=(file_name or path.name)[:300],
        format=fmt,
        mapping=mapping or {},
        status=status,
    )


def progress_path(run_id: int) -> Path:
    return Path(settings.VAR_DIR) / "imports" / f"run-{run_id}.progress"


def _progress_write(run_id: int, done: int, total: int) -> None:
    path = progress_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"done": done, "total": total}))
    os.replace(tmp, path)


def run_progress(run: ImportRun) -> tuple[int, int]:
    """(done, total) of a run, live while it runs."""
    if run.status == RunStatus.RUNNING:
        try:
            data = json.loads(progress_path(run.pk).read_text())
            return int(data["done"]), int(data["total"])
        except (OSError, ValueError, KeyError):
            return 0, 0
    return run.progress_done, run.progress_total


def _stopped_message(exc: sandbox.Stopped) -> str:
    """Why the reader of a file stopped, in words for the coordinator."""
    if isinstance(exc, sandbox.OutOfMemory):
        return _(
            "Reading this file needed more memory than an import may use (%(limit)s MB), so "
            "it was stopped. Nothing was saved. Check that the file is the list you meant; a "
            "spreadsheet with cells far from its data, or a very large file, can be saved as "
            "CSV or split."
        ) % {"limit": exc.limit_mb or "?"}
    if isinstance(exc, sandbox.TimedOut):
        return _(
            "The import took longer than %(minutes)s minutes, so it was stopped. Nothing was saved."
        ) % {"minutes": max(1, round(exc.seconds / 60))}
    if isinstance(exc, sandbox.Cancelled):
        return _("The import was cancelled. Nothing was saved.")
    return _("Reading this file stopped abruptly (%(how)s). Nothing was saved.") % {"how": exc}


def import_run_execute(
    *,
    run: ImportRun,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    sample_size: int = 0,
    time_limit: float | None = None,
) -> ImportOutcome:
    """Read the run's file into its source. Raises ReadError if the file cannot be read and
    ImportFailed if the run crashed, ran out of memory or time, or was cancelled; either way
    nothing of the run is kept but its status. The file is read in a child process under
    settings.IMPORT_MEMORY_MB, and the reading stops after `time_limit` seconds."""
    if not dry_run:
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), message=""
        )
        run.refresh_from_db()
    with heartbeat(run.pk):
        return _execute_watched(run, dry_run, progress, sample_size, time_limit)


def _execute_watched(
    run: ImportRun,
    dry_run: bool,
    progress: Callable[[int, int], None] | None,
    sample_size: int,
    time_limit: float | None,
) -> ImportOutcome:
    total = _count_estimate(Path(run.file_path))
    limits = Limits(
        memory_mb=settings.IMPORT_MEMORY_MB,
        seconds=time_limit,
        should_stop=None if dry_run else (lambda: cancel_requested(run.pk)),
    )

    def report(done: int) -> None:
        if progress:
            progress(done, total)
        if not dry_run:
            _progress_write(run.pk, done, total)

    token = current_limits.set(limits)
    try:
        with (
            garbage_collection_paused(),
            sqlite_page_cache(IMPORT_CACHE_MIB),
            transaction.atomic(),
        ):
            # Stopped before the commit, never during it: what is stopped rolls back whole.
            with stop_watch(run.pk, seconds=time_limit, cancellable=not dry_run):
                outcome = _execute(run, report, sample_size, dry_run)
            if dry_run:
                transaction.set_rollback(True)
            elif cancel_requested(run.pk):
                # Asked while the last writes ran: nothing is committed after all.
                raise sandbox.Cancelled()
    except sandbox.Stopped as exc:
        message = _stopped_message(exc)
        if not dry_run:
            cancelled = isinstance(exc, sandbox.Cancelled)
            if cancelled:
                _cancel_audit(run)
            _run_finish(
                run, status=RunStatus.CANCELLED if cancelled else RunStatus.FAILED, message=message
            )
        raise ImportFailed(message) from exc
    except ReadError as exc:
        if not dry_run:
            _run_finish(run, status=RunStatus.FAILED, message=str(exc))
        raise
    except Exception as exc:
        if not dry_run:
            _run_finish(
                run,
                status=RunStatus.FAILED,
                message=f"The import stopped and nothing was saved: {exc}",
            )
        raise ImportFailed(str(exc)) from exc
    finally:
        current_limits.reset(token)
    if not dry_run:
        _run_finish(run, status=RunStatus.DONE, outcome=outcome)
    return outcome


def _cancel_audit(run: ImportRun) -> None:
    """The audit event of a cancel asked from the page while the run held the database."""
    from accounts.models import User

    requester = cancel_requester(run.pk)
    by = User.objects.filter(pk=requester).first() if requester is not None else None
    audit_record(
        actor=by,
        action="sources.import_cancel",
        target=run,
        data={"file": run.file_name, "status": RunStatus.RUNNING},
    )


def _run_finish(
    run: ImportRun, *, status: str, message: str = "", outcome: ImportOutcome | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "message": message}
    if outcome is not None:
        values.update(
            rows=outcome.rows,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            vanished=outcome.vanished,
            reappeared=outcome.reappeared,
            errors=len(outcome.errors),
            organizations_created=outcome.organizations_created,
            error_report=[{"line": e.line, "reason": e.reason} for e in outcome.errors[:10000]],
            progress_done=outcome.rows,
            progress_total=outcome.rows,
        )
    ImportRun.objects.filter(pk=run.pk).update(**values)
    run.refresh_from_db()
    progress_path(run.pk).unlink(missing_ok=True)
    cancel_clear(run.pk)


def import_file(
    *,
    user: Any,
    path: Path,
    source_name: str,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ImportRun, ImportOutcome]:
    """Import one file into a source by name (created on first use): the command line's way in."""
    if dry_run:
        # Nothing may be saved, not even the source: the run is built inside a rolled-back block.
        with transaction.atomic():
            source = source_get_or_create(name=source_name, user=user, fmt=fmt or "")
            run = import_run_create(
                source=source, user=user, path=path, fmt=fmt or "", mapping=mapping
            )
            outcome = import_run_execute(run=run, dry_run=True, progress=progress)
            transaction.set_rollback(True)
        return run, outcome
    source = source_get_or_create(name=source_name, user=user, fmt=fmt or "")
    run = import_run_create(source=source, user=user, path=path, fmt=fmt or "", mapping=mapping)
    return run, import_run_execute(run=run, progress=progress)


# --------------------------------------------------------------------------- the run


def _execute(
    run: ImportRun, report: Callable[[int], None], sample_size: int, dry_run: bool
) -> ImportOutcome:
    source = run.source
    outcome = ImportOutcome(dry_run=dry_run)
    places = _Places()
    now = timezone.now()
    # identity → (pk, content hash, record_key, vanished)
    known: dict[str, tuple[int, str, int, bool]] = {
        identity: (pk, h, key, vanished)
        for identity, pk, h, key, vanished in SourceRecord.objects.filter(
            source=source
        ).values_list("identity", "pk", "content_hash", "record_key", "vanished")
    }
    seen: set[str] = set()
    seen_pks: list[int] = []
    changed_pks: list[int] = []
    for chunk in _cleaned_chunks(run, places):
        new: list[dict[str, Any]] = []
        changed: list[list[Any]] = []
        moved: list[tuple[int, int, int]] = []
        for item in chunk:
            outcome.rows += 1
            if isinstance(item, RowError):
                outcome.errors.append(item)
                continue
            values = item
            identity = values.pop("_identity")
            if identity in seen:
                # The same group twice in one file: keep both, told apart by their order.
                i = 2
                while f"{identity}#{i}" in seen:
                    i += 1
                identity = f"{identity}#{i}"
            seen.add(identity)
            if len(outcome.sample) < sample_size:
                outcome.sample.append(
                    {
                        "line": values["line"],
                        **{k: values[k] for k in ("name", "city", "region", "country_code")},
                        "website": values["website"] or values["facebook"],
                        "place": values["place_id"],
                    }
                )
            old = known.get(identity)
            if old is None:
                outcome.created += 1
                values.update(
                    source_id=source.pk,
                    identity=identity,
                    first_seen_run_id=run.pk,
                    last_seen_run_id=run.pk,
                )
                new.append(values)
                continue
            pk, old_hash, old_key, was_vanished = old
            seen_pks.append(pk)
            if old_hash != values["content_hash"] or was_vanished:
                if was_vanished:
                    outcome.reappeared += 1
                else:
                    outcome.updated += 1
                values.update(
                    last_seen_run_id=run.pk, vanished=False, vanished_at=None, updated_at=now
                )
                changed.append([values[name] for name in _RECORD_UPDATE] + [pk])
                changed_pks.append(pk)
            else:
                outcome.unchanged += 1
                if old_key != values["record_key"]:
                    moved.append((values["record_key"], values["line"], pk))
        bulk.insert(SourceRecord, new, now=now)
        bulk.update(SourceRecord, _RECORD_UPDATE, changed)
        bulk.update(SourceRecord, ("record_key", "line"), moved)
        report(outcome.rows)
    bulk.update(SourceRecord, ("last_seen_run_id",), ((run.pk, pk) for pk in seen_pks))
    outcome.vanished = (
        SourceRecord.objects.filter(source=source, vanished=False)
        .exclude(last_seen_run=run)
        .update(vanished=True, vanished_at=now)
    )
    signalled = sorted(
        set(SourceRecord.objects.filter(first_seen_run=run).values_list("pk", flat=True))
        | set(changed_pks)
    )
    if dry_run:
        # A preview does not look for duplicates (that is the slow part of a large import):
        # every new record could become a listing, and the real run merges the duplicates.
        outcome.organizations_created = outcome.created
    else:
        outcome.organizations_created = _resolve(run, signalled)
    if not dry_run and (outcome.created or outcome.updated or outcome.vanished):
        directory_touch()
        audit_record(
            actor=run.created_by,
            action="sources.import",
            target=run,
            data={
                "source": source.name,
                "file": run.file_name,
                "created": outcome.created,
                "updated": outcome.updated,
                "vanished": outcome.vanished,
            },
        )
    return outcome


def _resolve(run: ImportRun, record_ids: list[int]) -> int:
    """Give the run's records their organizations: the resolution app's receiver if it takes
    over, else one new organization per record that has none. Then organizations whose records
    changed follow them. Returns how many organizations were created."""
    if not record_ids:
        return 0
    before = Organization.objects.count()
    answers = records_imported.send(sender=ImportRun, run=run, record_ids=record_ids)
    if any(answer == HANDLED for _receiver, answer in answers):
        created = Organization.objects.count() - before
    else:
        created = organizations_for_records(record_ids=record_ids)
    changed_orgs = organization_ids_of_records(record_ids, older_than=run)
    organizations_apply_records(organization_ids=changed_orgs)
    return max(created, 0)
