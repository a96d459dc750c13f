"""The whole hub in one passphrase-sealed file, and back: `commonweal backup` / `restore`.

Rows are written with Django's serializers, one JSON line per row and one file per model, so a
backup made on SQLite restores into PostgreSQL and back. Uploaded files travel beside them. The
plaintext is a gzipped tar stream, sealed in chunks by `commonweal.lib.sealed`; neither side ever
holds more than a batch of rows or a chunk in memory.

A restore checks the passphrase before it writes anything, writes every row in one transaction
(a damaged archive found half-way leaves the database as it was) and moves the uploaded files
into place only once that transaction has committed.
"""

import io
import json
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as dt_time
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

from commonweal.lib.sealed import Damaged, SealedReader, SealedWriter, WrongPassphrase

FORMAT = 1
BATCH = 1000
# Rows that `migrate` itself writes: a freshly migrated database has them and is still "empty".
MIGRATION_FILLED = {
    "contenttypes.contenttype",
    "auth.permission",
    "directory.issuearea",
    "directory.issuelink",
    "directory.directorystate",
}

__all__ = ["BackupError", "Damaged", "WrongPassphrase", "backup_write", "backup_restore"]


class BackupError(ValueError):
    """The archive cannot be restored here, for a reason the person can act on."""


@dataclass
class Summary:
    rows: int
    files: int
    seconds: float
    models: int


def uploads_dir() -> Path:
    """Where uploaded import files are kept (sources reads them from here)."""
    return Path(settings.VAR_DIR) / "imports" / "uploads"


def _models_in_order() -> list[type[models.Model]]:
    """Every table's model, each after the models its foreign keys point to (cycles and
    self-references are left where they fall: both databases check keys at commit)."""
    todo = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    todo.sort(key=lambda m: m._meta.label_lower)
    done: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()
    while todo:
        progress = False
        for model in list(todo):
            needs = {
                f.related_model
                for f in model._meta.concrete_fields
                if f.is_relation and f.related_model not in (model, None)
            }
            if needs <= placed | {n for n in needs if n not in todo}:
                done.append(model)
                placed.add(model)
                todo.remove(model)
                progress = True
        if not progress:  # a cycle: take the first and carry on
            model = todo.pop(0)
            done.append(model)
            placed.add(model)
    return done


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime, dt_time)):
            return o.isoformat()
        return super().default(o)


def _fields(model: type[models.Model]) -> list[str]:
    # Many-to-many rows are written from their own (auto-created) through table, so the
    # serializer is limited to the table's own columns to avoid writing them twice.
    names = set()
    for field in model._meta.concrete_fields:
        names |= {field.name, field.attname}
    return sorted(names)


def _applied() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def _add(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    tar.addfile(info, data)


def backup_write(*, out: IO[bytes], passphrase: str) -> Summary:
    """Write the whole hub to `out`, sealed with `passphrase`."""
    started = time.monotonic()
    order = _models_in_order()
    rows = files = 0
    sealed = SealedWriter(out, passphrase)
    # Inside someone else's transaction (a test) the snapshot is already theirs to choose.
    own_transaction = not connection.in_atomic_block
    with tarfile.open(fileobj=sealed, mode="w|gz") as tar, transaction.atomic():
        if connection.vendor == "postgresql" and own_transaction:
            # One consistent snapshot of every table, however long the backup takes.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        counts = {m._meta.label_lower: m._default_manager.count() for m in order}
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "vendor": connection.vendor,
            "migrations": _applied(),
            "models": [[m._meta.label_lower, counts[m._meta.label_lower]] for m in order],
            "uploads_dir": str(uploads_dir()),
        }
        body = json.dumps(manifest, indent=1).encode()
        _add(tar, "manifest.json", io.BytesIO(body), len(body))
        for index, model in enumerate(order):
            label = model._meta.label_lower
            if not counts[label]:
                continue
            # Spooled: a table's lines stay in memory up to 16 MB, then go to a temporary file
            # (a tar member's size must be known before it is written).
            with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
                text = io.TextIOWrapper(spool, encoding="utf-8", newline="\n")
                queryset = model._default_manager.order_by("pk").iterator(chunk_size=BATCH)
                serializers.serialize(
                    "jsonl", queryset, stream=text, fields=_fields(model), cls=_ExactEncoder
                )
                text.flush()
                size = spool.tell()
                spool.seek(0)
                _add(tar, f"db/{index:03d}-{label}.jsonl", spool, size)
                text.detach()
            rows += counts[label]
        folder = uploads_dir()
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    tar.add(str(path), arcname=f"files/uploads/{path.name}", recursive=False)
                    files += 1
    sealed.close()
    return Summary(rows=rows, files=files, seconds=time.monotonic() - started, models=len(order))


def tables_empty(order: list[type[models.Model]]) -> None:
    """Delete every row of these tables, inside the caller's transaction."""
    if connection.vendor == "postgresql":
        # TRUNCATE refuses a table with foreign-key checks still pending from earlier in the
        # transaction: run those now, then defer them again so rows can load in any order.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    tables = [m._meta.db_table for m in order]
    flush = connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    connection.ops.execute_sql_flush(flush)


def database_is_empty() -> bool:
    """True when no table holds rows beyond those `migrate` writes."""
    return not any(
        m._default_manager.exists()
        for m in _models_in_order()
        if m._meta.label_lower not in MIGRATION_FILLED
    )


def _batches(lines: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(islice(lines, size)):
        yield batch


def _check_manifest(manifest: dict[str, Any]) -> None:
    if manifest.get("format") != FORMAT:
        raise BackupError("This backup was written by another version of Commonweal.")
    theirs = {tuple(m) for m in manifest["migrations"]}
    ours = {tuple(m) for m in _applied()}
    if theirs != ours:
        missing = sorted(theirs - ours)[:5]
        extra = sorted(ours - theirs)[:5]
        raise BackupError(
            "The backup's database schema differs from this one's; restore it with the version "
            f"that wrote it, then migrate. Only in the backup: {missing}; only here: {extra}."
        )


def backup_restore(*, source: IO[bytes], passphrase: str, replace: bool = False) -> Summary:
    """Restore a backup written by `backup_write`. Refuses a database that holds data unless
    `replace`; raises WrongPassphrase, Damaged or BackupError and then leaves everything as it was."""
    started = time.monotonic()
    reader = SealedReader(source, passphrase)  # checks the passphrase, writes nothing
    stream = io.BufferedReader(reader, buffer_size=1024 * 1024)
    try:
        tar = tarfile.open(fileobj=stream, mode="r|gz")  # noqa: SIM115 - read inside the try below
    except tarfile.TarError as error:
        raise Damaged("The backup is damaged.") from error
    staging = Path(tempfile.mkdtemp(prefix="restore-", dir=settings.VAR_DIR))
    rows = files = 0
    try:
        first = tar.next()
        if first is None or first.name != "manifest.json":
            raise Damaged("The backup has no manifest.")
        manifest = json.load(tar.extractfile(first))  # type: ignore[arg-type]
        _check_manifest(manifest)
        if not replace and not database_is_empty():
            raise BackupError("This database already holds data; restore into a fresh one.")
        expected = dict(manifest["models"])
        order = _models_in_order()
        with transaction.atomic():
            # Both databases empty every table here, inside the transaction (TRUNCATE on
            # PostgreSQL is transactional), so a failure below brings the old rows back.
            tables_empty(order)
            for member in tar:
                if member.name.startswith("db/") and member.isfile():
                    rows += _load_rows(tar.extractfile(member))  # type: ignore[arg-type]
                elif member.name.startswith("files/uploads/") and member.isfile():
                    name = Path(member.name).name
                    if not name or name.startswith("."):
                        raise Damaged(f"The backup holds a file with a bad name: {member.name}")
                    with (staging / name).open("wb") as target:
                        shutil.copyfileobj(tar.extractfile(member), target)  # type: ignore[arg-type]
                    files += 1
            for model in order:
                label = model._meta.label_lower
                if model._default_manager.count() != expected.get(label, 0):
                    raise Damaged(f"The backup's rows of {label} are incomplete.")
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), order):
                    cursor.execute(statement)
            _repoint_uploads(manifest.get("uploads_dir", ""))
            from accounts.services import audit_record

            audit_record(
                actor=None,
                action="hub.restored",
                target=None,
                data={"rows": rows, "files": files, "backup_created_at": manifest["created_at"]},
            )
        target_dir = uploads_dir()
        target_dir.mkdir(parents=True, exist_ok=True)
        for path in staging.iterdir():
            shutil.move(str(path), target_dir / path.name)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise Damaged(f"The backup is damaged: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Summary(rows=rows, files=files, seconds=time.monotonic() - started, models=len(expected))


def _load_rows(member: IO[bytes]) -> int:
    count = 0
    lines = (line.decode("utf-8") for line in member)
    objects = serializers.deserialize("jsonl", lines, ignorenonexistent=False)
    for batch in _batches(objects, BATCH):
        rows = [item.object for item in batch]
        model = type(rows[0])
        fields = list(model._meta.local_concrete_fields)
        size = max(1, connection.ops.bulk_batch_size(fields, rows))
        for start in range(0, len(rows), size):
            # A raw insert, as `loaddata` does: the archived values go in as they are, with no
            # signals and no auto_now stamping (bulk_create would stamp the restore's time).
            model._base_manager._insert(rows[start : start + size], fields=fields, raw=True)
        count += len(rows)
    return count


def _repoint_uploads(old: str) -> None:
    """Import runs name their uploaded file by path; point them at this hub's uploads folder."""
    new = str(uploads_dir())
    if not old or old == new:
        return
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    ImportRun = apps.get_model("sources", "ImportRun")
    ImportRun.objects.filter(file_path__startswith=old + "/").update(
        file_path=Concat(Value(new), Substr("file_path", len(old) + 1))
    )
