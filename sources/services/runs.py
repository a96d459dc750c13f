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
from directory.readers import ReadError
from sources.models import (
    ImportRun,
    RunStatus,
    Source,
)
from sources.services.liveness import (
    cancel_clear,
    cancel_requested,
    cancel_requester,
    heartbeat,
    stop_watch,
)
from sources.services.provenance import _user
from sources.services.reader import Limits, _count_estimate, current_limits
from sources.services.records import ImportOutcome, _execute

# SQLite's page cache while a run writes records, listings and their indexes (see bulkdb).
IMPORT_CACHE_MIB = 512


class ImportFailed(Exception):
    """The run stopped; nothing it did was kept."""


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
            grouped=outcome.grouped,
            keeps_undo=True,
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
