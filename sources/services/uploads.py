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

from accounts.services import audit_record
from directory.readers import ReadError, Row, detect_format, guess_mapping, read
from sources.models import (
    ImportRun,
    RunStatus,
)
from sources.permissions import can_import
from sources.services.provenance import _user
from sources.services.runs import (
    ImportFailed,
    import_run_create,
    import_run_execute,
    source_get_or_create,
)

PREVIEW_ROWS = 10


def _headers(run: ImportRun) -> list[str]:
    """The file's column names (GeoJSON: its properties), for the mapping form."""
    headers: list[str] = []
    try:
        for item in read(Path(run.file_path), run.format or None, None):
            if isinstance(item, Row):
                raw = item.raw.get("properties", item.raw) if run.format == "geojson" else item.raw
                if isinstance(raw, dict):
                    headers.extend(str(h) for h in raw if str(h) not in headers)
                if len(headers) > 200 or item.key >= 20:
                    break
    except ReadError:
        return []
    return headers[:200]


def import_run_preview(*, run: ImportRun) -> dict[str, Any]:
    """What confirming this run would do, kept on the run for the page: the first rows as
    mapped, counts of new/updated/unchanged/vanished, errors by line."""
    try:
        outcome = import_run_execute(run=run, dry_run=True, sample_size=PREVIEW_ROWS)
        preview = outcome.as_preview()
    except (ReadError, ImportFailed) as exc:
        preview = {"ready": True, "failed": str(exc)}
    preview["headers"] = _headers(run)
    preview["mapping"] = (
        guess_mapping(preview["headers"], run.mapping or None) if preview["headers"] else {}
    )
    ImportRun.objects.filter(pk=run.pk).update(preview=preview)
    run.preview = preview
    return preview


def _upload_path(name: str) -> Path:
    folder = Path(settings.VAR_DIR) / "imports" / "uploads"
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
            fmt = detect_format(Path(upload.name or path.name))
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
    run.status = RunStatus.QUEUED
    run.save(update_fields=["status"])
    audit_record(
        actor=_user(user), action="sources.import_confirm", target=run, data={"file": run.file_name}
    )
    from sources.tasks import run_later

    run_later(run.pk)
    return run


@transaction.atomic
def import_run_cancel(*, user: Any, run: ImportRun) -> ImportRun:
    if run.status != RunStatus.PENDING:
        raise ValidationError("This import has already started.")
    run.status = RunStatus.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    Path(run.file_path).unlink(missing_ok=True)
    return run
