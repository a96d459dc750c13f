"""Uploads through the pages: keep the file, preview it, let the coordinator remap the
columns, then confirm (which queues the run) or cancel."""

import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from commonweal.lib import sandbox
from directory.readers import ReadError, Row, detect_format, guess_mapping, read
from sources.models import (
    ImportRun,
    RunStatus,
    Source,
)
from sources.permissions import can_import
from sources.services.liveness import cancel_request, heart_state
from sources.services.provenance import _user
from sources.services.runs import (
    ImportFailed,
    import_run_create,
    import_run_execute,
    source_get_or_create,
)

PREVIEW_ROWS = 10


def _read_headers(path: Path, fmt: str | None) -> list[str]:
    # A dict keeps the order and finds a header at once: a million columns stay linear.
    headers: dict[str, None] = {}
    for item in read(path, fmt, None):
        if isinstance(item, Row):
            raw = item.raw.get("properties", item.raw) if fmt == "geojson" else item.raw
            if isinstance(raw, dict):
                headers.update(dict.fromkeys(str(h) for h in raw))
            if len(headers) > 200 or item.key >= 20:
                break
    return list(headers)[:200]


def _headers(run: ImportRun) -> list[str]:
    """The file's column names (GeoJSON: its properties), for the mapping form; read in a
    child process under the import's limits, like the preview itself."""
    path, fmt = Path(run.file_path), run.format or None
    try:
        if not sandbox.available():
            return _read_headers(path, fmt)
        return sandbox.call(
            _read_headers,
            path,
            fmt,
            memory_mb=settings.IMPORT_MEMORY_MB,
            seconds=settings.IMPORT_TIME_LIMIT,
        )
    except (ReadError, sandbox.Stopped):
        return []


def import_run_preview(*, run: ImportRun) -> dict[str, Any]:
    """What confirming this run would do, kept on the run for the page: the first rows as
    mapped, counts of new/updated/unchanged/vanished, errors by line. A file that cannot be
    read at all fails the run with the reason; one whose columns are readable stays waiting,
    with the reason, so that its mapping can be changed."""
    try:
        outcome = import_run_execute(
            run=run,
            dry_run=True,
            sample_size=PREVIEW_ROWS,
            time_limit=settings.IMPORT_TIME_LIMIT,
        )
        preview = outcome.as_preview()
    except (ReadError, ImportFailed) as exc:
        preview = {"ready": True, "failed": str(exc)}
    except Exception as exc:  # noqa: BLE001 -- the page must show an answer, never spin on
        preview = {
            "ready": True,
            "failed": _("The file could not be read (%(error)s).")
            % {"error": f"{type(exc).__name__}: {str(exc)[:300]}"},
        }
    preview["headers"] = _headers(run) if "failed" not in preview or run.mapping else []
    preview["mapping"] = (
        guess_mapping(preview["headers"], run.mapping or None) if preview["headers"] else {}
    )
    values: dict[str, Any] = {"preview": preview}
    if preview.get("failed") and not preview["headers"]:
        # Nothing to remap: the run ends here, failed with the reason, and the upload goes.
        values.update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            message=_("This file cannot be imported: %(reason)s") % {"reason": preview["failed"]},
        )
        _upload_discard(run)
    ImportRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(**values)
    run.refresh_from_db()
    return preview


def import_run_preview_failed(*, run: ImportRun, reason: str) -> None:
    """Give a preview that crashed an answer, so that its page stops waiting."""
    preview = {"ready": True, "failed": reason, "headers": []}
    ImportRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(
        preview=preview, status=RunStatus.FAILED, finished_at=timezone.now(), message=reason
    )


def _uploads() -> Path:
    return Path(settings.VAR_DIR) / "imports" / "uploads"


def _upload_discard(run: ImportRun) -> None:
    """Remove a run's file if it is an upload we keep (a command line run names the
    operator's own file, which stays)."""
    path = Path(run.file_path)
    if path.parent.resolve() == _uploads().resolve():
        path.unlink(missing_ok=True)


def _upload_path(name: str) -> Path:
    folder = _uploads()
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name)[-80:] or "upload"
    return folder / f"{uuid.uuid4().hex}-{safe}"


@transaction.atomic
def import_upload(
    *,
    user: Any,
    source_name: str,
    upload: UploadedFile,
    fmt: str = "",
    mapping: dict[str, str] | None = None,
) -> ImportRun:
    """Keep an uploaded file and open a run for it, waiting for the coordinator's confirmation
    after the preview (which runs in the background)."""
    if not can_import(user):
        raise PermissionDenied("Only coordinators import lists.")
    path = _upload_path(upload.name or "upload")
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    if not fmt:
        try:
            # The kept file, whose name ends like the upload's: JSON is told apart by its head.
            fmt = detect_format(path)
        except ReadError:
            fmt = ""
    source = source_get_or_create(name=source_name, user=user, fmt=fmt)
    run = import_run_create(
        source=source,
        user=user,
        path=path,
        fmt=fmt,
        mapping=mapping,
        file_name=upload.name or path.name,
        status=RunStatus.PENDING,
    )
    from sources.tasks import preview_later

    preview_later(run.pk)
    return run


@transaction.atomic
def import_run_remap(*, user: Any, run: ImportRun, mapping: dict[str, str]) -> ImportRun:
    """Change which column feeds which field, then preview again."""
    if run.status != RunStatus.PENDING:
        raise ValidationError("This import has already started.")
    run.mapping = dict(mapping)  # "" is a field the coordinator left without a column
    run.preview = {}
    run.save(update_fields=["mapping", "preview"])
    from sources.tasks import preview_later

    preview_later(run.pk)
    return run


@transaction.atomic
def import_run_confirm(*, user: Any, run: ImportRun) -> ImportRun:
    if run.status != RunStatus.PENDING:
        raise ValidationError("This import has already started.")
    if not (run.preview or {}).get("ready") or (run.preview or {}).get("failed"):
        raise ValidationError(_("This file has no preview that can be imported."))
    run.status = RunStatus.QUEUED
    run.save(update_fields=["status"])
    audit_record(
        actor=_user(user), action="sources.import_confirm", target=run, data={"file": run.file_name}
    )
    from sources.tasks import run_later

    run_later(run.pk)
    return run


def import_run_cancel(*, user: Any, run: ImportRun) -> ImportRun:
    """Stop a run: one waiting or queued ends at once; one running is asked to stop, and
    rolls back at its next step, unless the process working on it is gone, when it ends at
    once too. Nothing of a cancelled run is kept."""
    if not can_import(user):
        raise PermissionDenied(_("Only coordinators import lists."))
    if run.is_finished:
        raise ValidationError(_("This import has already finished."))
    if run.status == RunStatus.RUNNING and heart_state(run.pk) == "beating":
        # No database write here: a running import holds SQLite's one write lock until it
        # ends. The run writes the audit event itself when it stops (see runs.py).
        cancel_request(run.pk, by=getattr(user, "pk", None))
        return run
    with transaction.atomic():
        audit_record(
            actor=_user(user),
            action="sources.import_cancel",
            target=run,
            data={"file": run.file_name, "status": run.status},
        )
        ImportRun.objects.filter(pk=run.pk, status=run.status).update(
            status=RunStatus.CANCELLED,
            finished_at=timezone.now(),
            message=_("The import was cancelled. Nothing was saved."),
        )
    run.refresh_from_db()
    if run.status == RunStatus.CANCELLED:
        _upload_discard(run)
    return run
    ImportRun.objects.filter(pk=run.pk, status=run.status).update(
        status=RunStatus.CANCELLED,
        finished_at=timezone.now(),
        message=_("The import was cancelled. Nothing was saved."),
    )
    run.refresh_from_db()
    if run.status == RunStatus.CANCELLED:
        _upload_discard(run)
    return run


@transaction.atomic
def source_delete(*, user: Any, source: Source) -> None:
    """Delete a source that holds no records (a list whose every upload failed or was
    cancelled), with its runs; a source with records keeps them, and so their history."""
    if not can_import(user):
        raise PermissionDenied(_("Only coordinators import lists."))
    if source.created_by_id not in (None, user.pk) and not user.is_site_coordinator:
        raise PermissionDenied(_("Only the coordinator who made this source can delete it."))
    if source.records.exists():
        raise ValidationError(_("This source holds records, so it is kept."))
    if source.runs.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).exists():
        raise ValidationError(_("An import into this source is under way; cancel it first."))
    for run in source.runs.all():
        _upload_discard(run)
    audit_record(
        actor=_user(user), action="sources.source_delete", target=source, data={"name": source.name}
    )
    source.delete()
