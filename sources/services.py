"""Every write about sources: sources, import runs, records, and the provenance of fields.

An import run is written in ONE transaction: records, organizations and provenance all commit
together or not at all, so a crash (or a dry run, which rolls back on purpose) leaves nothing
behind. Only the run's own status row is written outside it, before and after, so that the run
is seen as running and then as done or failed. Progress is reported through a small file in
var/imports/ because the run's transaction hides its own writes from the page that polls.
"""

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from accounts.services import audit_record
from commonweal.bulkdb import garbage_collection_paused, sqlite_page_cache
from directory import search, tagging
from directory.importing import coordinates, issue_matcher, organization_values
from directory.models import IssueArea, IssueAreaOrigin, Organization
from directory.readers import ReadError, Row, RowError, detect_format, guess_mapping, read
from directory.services import directory_touch, issue_mask_of
from places.geocoder import GeocodeResult, get_geocoder
from places.models import Place
from sources import bulk
from sources import normalize as n
from sources.models import (
    ORIGIN_RANK,
    FieldProvenance,
    ImportRun,
    Origin,
    RunStatus,
    Source,
    SourceRecord,
)
from sources.permissions import can_import
from sources.signals import HANDLED, records_imported

CHUNK = 2000
# SQLite's page cache while a run writes records, listings and their indexes (see bulkdb).
IMPORT_CACHE_MIB = 512
# Organization fields an import sets and whose provenance is kept.
IMPORT_FIELDS = (
    "name",
    "description",
    "home_place",
    "latitude",
    "longitude",
    "website",
    "facebook",
    "public_email",
    "public_phone",
)
# Fields claims and coordinators may also set through `field_set`.
SETTABLE_FIELDS = frozenset(IMPORT_FIELDS) | {"kind", "issue_areas", "languages", "status"}
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


def _user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


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


def import_run_execute(
    *,
    run: ImportRun,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    sample_size: int = 0,
) -> ImportOutcome:
    """Read the run's file into its source. Raises ReadError if the file cannot be read and
    ImportFailed if the run crashed; either way nothing of the run is kept but its status."""
    if not dry_run:
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), message=""
        )
        run.refresh_from_db()
    total = _count_estimate(Path(run.file_path))

    def report(done: int) -> None:
        if progress:
            progress(done, total)
        if not dry_run:
            _progress_write(run.pk, done, total)

    try:
        with (
            garbage_collection_paused(),
            sqlite_page_cache(IMPORT_CACHE_MIB),
            transaction.atomic(),
        ):
            outcome = _execute(run, report, sample_size, dry_run)
            if dry_run:
                transaction.set_rollback(True)
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
    if not dry_run:
        _run_finish(run, status=RunStatus.DONE, outcome=outcome)
    return outcome


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


def _count_estimate(path: Path) -> int:
    """Rows to expect, for the progress bar: lines for text tables, 0 (unknown) otherwise."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".jsonl", ".ndjson"):
        return 0
    try:
        with path.open("rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


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


# --------------------------------------------------------------------------- reading rows


class _Places:
    """Geocoding with a memory: lists repeat the same towns and ZIP codes thousands of times."""

    def __init__(self) -> None:
        self.by_text: dict[str, GeocodeResult | None] = {}
        self.lft: dict[int, int] = {}
        self.coords: dict[int, tuple[float | None, float | None]] = {}
        # Answers for the points of the current chunk, looked up in one batch.
        self.points: dict[tuple[float, float], GeocodeResult | None] = {}

    @cached_property
    def geocoder(self) -> Any:
        # Fetched on first use: listings made from records already placed never need it.
        return get_geocoder()

    def prefetch_points(self, rows: Iterable[Row | RowError]) -> None:
        points: list[tuple[float, float]] = []
        for row in rows:
            if isinstance(row, Row):
                try:
                    lat, lng = coordinates(row.fields)
                except ValueError:
                    continue
                if lat is not None and lng is not None:
                    points.append((lat, lng))
        self.points = dict(zip(points, self.geocoder.reverse_many(points), strict=True))

    def lookup(
        self,
        city: str,
        region: str,
        country: str,
        postcode: str,
        lat: float | None,
        lng: float | None,
    ) -> GeocodeResult | None:
        if lat is not None and lng is not None:
            if (lat, lng) in self.points:
                return self.points[(lat, lng)]
            return self.geocoder.reverse(lat, lng)
        key = "\x1f".join((city, region, country, postcode))
        if key in self.by_text:
            return self.by_text[key]
        result = None
        text = ", ".join(p for p in (city, region, country) if p)
        if text:
            result = self.geocoder.geocode(text)
        if result is None and postcode:
            result = self.geocoder.geocode(postcode)
        if result is None and region and city:
            result = self.geocoder.geocode(", ".join(p for p in (region, country) if p))
        self.by_text[key] = result
        return result

    def country_code(self, country: str) -> str:
        # "UK" is no ISO code, though people write it: known codes pass, others are looked up.
        code = country.upper()
        if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
            return code
        result = self.lookup("", "", country, "", None, None) if country else None
        if result is None:
            return ""
        return _area_code(result, "country")

    def fill(self, place_ids: Iterable[int]) -> None:
        missing = [i for i in set(place_ids) if i not in self.lft]
        for i in range(0, len(missing), 500):
            for pk, lft, lat, lng in Place.objects.filter(pk__in=missing[i : i + 500]).values_list(
                "pk", "lft", "latitude", "longitude"
            ):
                self.lft[pk] = lft
                self.coords[pk] = (lat, lng)


def _area_code(result: GeocodeResult, kind: str) -> str:
    if result.place.kind == kind:
        return result.place.iso_code
    for ancestor in reversed(result.ancestors):
        if ancestor.kind == kind:
            return ancestor.iso_code
    return ""


def _record_values(row: Row, places: _Places) -> dict[str, Any]:
    """Normalized fields of a row beside its originals; ValueError says why a row is refused."""
    f = row.fields
    name = n.text(f.get("name"))
    if not name:
        raise ValueError("no name")
    if len(name) > 300:
        raise ValueError("name is longer than 300 characters")
    lat, lng = coordinates(f)
    city = n.text(f.get("city"))[:200]
    region = n.text(f.get("state"))[:200]
    country = n.text(f.get("country"))[:100]
    postcode = n.text(f.get("postcode"))[:20]
    result = places.lookup(city, region, country, postcode, lat, lng)
    place_id = None
    country_code = region_code = ""
    if result is not None and result.place.kind not in ("bioregion", "macroregion", "world"):
        place_id = result.place.id
        country_code = _area_code(result, "country")
        region_code = _area_code(result, "state")
    if country and not country_code:
        country_code = places.country_code(country)
    website = n.text(f.get("website"))[:500]
    facebook = n.text(f.get("facebook"))[:500]
    if website and n.is_facebook(website):
        # Many lists put a Facebook group where the website goes.
        facebook, website = facebook or website, ""
    email = n.text(f.get("email"))[:254]
    phone = n.text(f.get("phone"))[:60]
    clean_name = n.name_clean(name)
    clean_site = n.website_clean(website) or n.website_clean(facebook)
    external_id = n.text(f.get("external_id"))[:300]
    if external_id.isdigit() and int(external_id) in (row.key, row.key - 1):
        # A counter (0, 1, 2… as in Mutual Aid Hub's GeoJSON) is a position, not an identity.
        external_id = ""
    return {
        "line": row.line,
        "record_key": row.key,
        "external_id": external_id,
        "raw": row.raw,
        "name": name,
        "name_clean": clean_name,
        "address": n.text(f.get("address"))[:500],
        "city": city,
        "region": region,
        "region_code": region_code[:10],
        "postcode": postcode,
        "country": country,
        "country_code": country_code[:2],
        "latitude": lat,
        "longitude": lng,
        "place_id": place_id,
        "website": website,
        "website_clean": n.website_clean(website),
        "facebook": facebook,
        "email": email,
        "email_clean": n.email_clean(email),
        "phone": phone,
        "phone_clean": n.phone_clean(phone, country_code)[:30],
        "description": n.text(f.get("description"))[:10000],
        "tags": n.tags_list(f.get("tags")),
        "content_hash": n.content_hash(row.raw),
        "_identity": (
            "id:" + external_id[:190]
            if external_id
            else "key:"
            + n.content_key(clean_name, postcode or n.name_clean(city) or region_code, clean_site)
        ),
    }


def _chunks(items: Iterator[Row | RowError], size: int) -> Iterator[list[Row | RowError]]:
    chunk: list[Row | RowError] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Files with at least this many rows (by line count) are read and cleaned in a second process
# while this one writes: the two halves of an import each keep one core busy.
PARALLEL_MIN_ROWS = 5000
Cleaned = dict[str, Any] | RowError


def _clean(items: Iterator[Row | RowError], places: _Places) -> Iterator[list[Cleaned]]:
    """Chunks of clean record values (or the reason a row was refused), in file order."""
    for chunk in _chunks(items, CHUNK):
        places.prefetch_points(chunk)
        out: list[Cleaned] = []
        for item in chunk:
            if isinstance(item, RowError):
                out.append(item)
                continue
            try:
                out.append(_record_values(item, places))
            except ValueError as exc:
                out.append(RowError(item.line, str(exc)))
        yield out


def _cleaned_chunks(run: ImportRun, places: _Places) -> Iterator[list[Cleaned]]:
    path = Path(run.file_path)
    rows = read(path, run.format or None, run.mapping or None)
    if (
        _count_estimate(path) < PARALLEL_MIN_ROWS
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield from _clean(rows, places)
        return
    places.geocoder  # noqa: B018 -- loaded here, so the forked reader shares it
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    reader = context.Process(target=_clean_elsewhere, args=(rows, places, sender), daemon=True)
    with warnings.catch_warnings():
        # Threads of database drivers or DuckDB may exist here; the forked reader never
        # touches them or their locks, only the file, the cleaners and the geocoder's tables.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        reader.start()
    sender.close()
    try:
        while True:
            message = receiver.recv()
            if message is None:
                break
            if isinstance(message, BaseException):
                raise message
            yield message
        reader.join()
    finally:
        if reader.is_alive():
            reader.terminate()
            reader.join()
        receiver.close()


def _clean_elsewhere(
    rows: Iterator[Row | RowError], places: _Places, sender: "multiprocessing.connection.Connection"
) -> None:
    """The forked reader: no database here, only the file, the cleaners and the geocoder."""
    try:
        for chunk in _clean(rows, places):
            sender.send(chunk)
    except ReadError as exc:
        sender.send(exc)
    except Exception as exc:  # noqa: BLE001 -- reported to the importing process, which fails the run
        sender.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    else:
        sender.send(None)
    finally:
        sender.close()


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


def organization_ids_of_records(
    record_ids: list[int], *, older_than: ImportRun | None = None
) -> set[int]:
    """The organizations these records belong to (only records first seen before `older_than`
    when given), asked a few thousand records at a time."""
    found: set[int] = set()
    for i in range(0, len(record_ids), 5000):
        records = SourceRecord.objects.filter(
            pk__in=record_ids[i : i + 5000], organization__isnull=False
        )
        if older_than is not None:
            records = records.exclude(first_seen_run=older_than)
        found.update(records.values_list("organization_id", flat=True))
    return found


# --------------------------------------------------------------------------- organizations


_ORG_SOURCE_FIELDS = (
    "pk",
    "name",
    "description",
    "place_id",
    "latitude",
    "longitude",
    "website",
    "facebook",
    "email_clean",
    "phone",
    "tags",
)


def organizations_for_records(*, record_ids: list[int]) -> int:
    """The default resolution: each record without an organization gets a new one, built from
    its fields, with import provenance for each field. Returns how many were created."""
    places = _Places()
    slugs: set[str] = set(Organization.objects.values_list("slug", flat=True))
    now = timezone.now()
    # Many new listings are indexed for search in one statement after they are written,
    # which costs half of what indexing them one insert at a time does.
    first_new_id = (Organization.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    paused = search.triggers_paused(first_new_id=first_new_id) if len(record_ids) >= 500 else None
    with paused or contextlib.nullcontext():
        total = _organizations_create(record_ids, places, slugs, now)
    if total:
        directory_touch()
    return total


def _organizations_create(record_ids: list[int], places: _Places, slugs: set[str], now: Any) -> int:
    match_issues = issue_matcher()
    all_areas = list(IssueArea.objects.order_by("bit"))
    by_slug = {a.slug: a for a in all_areas}
    through = Organization.issue_areas.through
    total = 0
    for i in range(0, len(record_ids), CHUNK):
        records = list(
            SourceRecord.objects.filter(pk__in=record_ids[i : i + CHUNK], organization__isnull=True)
            .order_by("pk")
            .values(*_ORG_SOURCE_FIELDS)
        )
        if not records:
            continue
        places.fill(r["place_id"] for r in records if r["place_id"])
        orgs: list[dict[str, Any]] = []
        areas: list[list[IssueArea]] = []
        # A first tagging at once, by the keyword rules and the file's own tags; the sentence
        # model refines it after the import (outreach.receivers), never inside its transaction.
        suggested = tagging.suggest_by_keywords(
            [tagging.organization_text(r["name"], r["description"]) for r in records], all_areas
        )
        for record, area_slugs in zip(records, suggested, strict=True):
            base = slugify(record["name"])[:120] or "organization"
            slug, k = base, 1
            while slug in slugs:
                k += 1
                slug = f"{base}-{k}"
            slugs.add(slug)
            lat, lng = record["latitude"], record["longitude"]
            place_id = record["place_id"]
            if lat is None and place_id:
                lat, lng = places.coords.get(place_id, (None, None))
            named = match_issues(" ".join(record["tags"])) if record["tags"] else []
            issue_areas = list(dict.fromkeys([*named, *(by_slug[s] for s in area_slugs)]))[
                : tagging.MAX_AREAS
            ]
            areas.append(issue_areas)
            orgs.append(
                organization_values(
                    name=record["name"],
                    slug=slug,
                    description=record["description"],
                    home_place_id=place_id,
                    place_lft=places.lft.get(place_id) if place_id else None,
                    latitude=lat,
                    longitude=lng,
                    website=record["website"],
                    facebook=record["facebook"],
                    email=record["email_clean"],
                    phone=record["phone"],
                    issue_areas=issue_areas,
                )
            )
            if issue_areas:
                orgs[-1]["issue_areas_origin"] = IssueAreaOrigin.AUTO
        bulk.insert(Organization, orgs, now=now)
        ids = dict(
            Organization.objects.filter(slug__in=[o["slug"] for o in orgs]).values_list(
                "slug", "pk"
            )
        )
        bulk.insert(
            through,
            (
                {"organization_id": ids[org["slug"]], "issuearea_id": area.pk}
                for org, org_areas in zip(orgs, areas, strict=True)
                for area in org_areas
            ),
            now=now,
        )
        bulk.update(
            SourceRecord,
            ("organization_id",),
            ((ids[org["slug"]], record["pk"]) for record, org in zip(records, orgs, strict=True)),
        )
        bulk.insert(
            FieldProvenance,
            (
                {
                    "organization_id": ids[org["slug"]],
                    "field": name,
                    "value": value,
                    "origin": Origin.IMPORT,
                    "record_id": record["pk"],
                    "recorded_at": now,
                }
                for record, org in zip(records, orgs, strict=True)
                for name, value in _listing_values(org).items()
                if value not in (None, "", [], {})
            ),
            now=now,
        )
        total += len(orgs)
    return total


def _listing_values(org: dict[str, Any]) -> dict[str, Any]:
    """A listing's import-tracked fields (from its column values) as JSON values."""
    return {
        "name": org["name"],
        "description": org["description"],
        "home_place": org["home_place_id"],
        "latitude": org["latitude"],
        "longitude": org["longitude"],
        "website": org["website"],
        "facebook": (org["social_links"] or {}).get("facebook", ""),
        "public_email": org["public_email"],
        "public_phone": org["public_phone"],
    }


def _record_listing_values(record: SourceRecord, places: _Places) -> dict[str, Any]:
    built = organization_values(
        name=record.name,
        slug="-",
        description=record.description,
        home_place_id=record.place_id,
        latitude=record.latitude,
        longitude=record.longitude,
        website=record.website,
        facebook=record.facebook,
        email=record.email_clean,
        phone=record.phone,
    )
    values = _listing_values(built)
    if values["latitude"] is None and record.place_id in places.coords:
        values["latitude"], values["longitude"] = places.coords[record.place_id]
    return values


def organization_apply_records(*, organization: Organization) -> list[str]:
    """Bring one organization's imported fields up to date with its records; see
    `organizations_apply_records`. Returns the fields that changed."""
    changed = organizations_apply_records(organization_ids=[organization.pk]).get(
        organization.pk, []
    )
    if changed:
        organization.refresh_from_db()
    return changed


_APPLY_CHUNK = 500


@transaction.atomic
def organizations_apply_records(*, organization_ids: Iterable[int]) -> dict[int, list[str]]:
    """Bring organizations' imported fields up to date with their records: the most recently
    seen record that says something wins each field, unless a claim or a coordinator set it.
    Works a few hundred organizations per query, as a resolution can touch thousands.
    Returns, per organization, the fields whose value changed."""
    ids = sorted(set(organization_ids))
    now = timezone.now()
    import_rank = ORIGIN_RANK[Origin.IMPORT]
    result: dict[int, list[str]] = {}
    for start in range(0, len(ids), _APPLY_CHUNK):
        chunk = ids[start : start + _APPLY_CHUNK]
        records: dict[int, list[SourceRecord]] = defaultdict(list)
        for record in SourceRecord.objects.filter(
            organization_id__in=chunk, vanished=False
        ).order_by("-last_seen_run_id", "-updated_at", "-pk"):
            if record.organization_id is not None:
                records[record.organization_id].append(record)
        places = _Places()
        places.fill(r.place_id for rs in records.values() for r in rs if r.place_id)
        said: dict[int, dict[str, dict[str, FieldProvenance]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for p in FieldProvenance.objects.filter(organization_id__in=list(records)):
            said[p.organization_id][p.field][p.origin] = p
        orgs = Organization.objects.in_bulk(list(records))
        new: list[FieldProvenance] = []
        renewed: list[FieldProvenance] = []
        for org_id, org_records in records.items():
            org = orgs[org_id]
            chosen: dict[str, tuple[Any, SourceRecord]] = {}
            for record in org_records:
                for name, value in _record_listing_values(record, places).items():
                    if name not in chosen and value not in (None, "", [], {}):
                        chosen[name] = (value, record)
            changed: list[str] = []
            for name, (value, record) in chosen.items():
                by_origin = said[org_id][name]
                mine = by_origin.get(Origin.IMPORT)
                if mine is None:
                    new.append(
                        FieldProvenance(
                            organization_id=org_id,
                            field=name,
                            origin=Origin.IMPORT,
                            value=value,
                            record=record,
                            recorded_at=now,
                        )
                    )
                elif mine.value != value or mine.record_id != record.pk:
                    mine.value, mine.record, mine.recorded_at = value, record, now
                    renewed.append(mine)
                if any(ORIGIN_RANK[Origin(o)] > import_rank for o in by_origin):
                    continue  # a claim or a coordinator holds this field
                if _set_value(org, name, value, places):
                    changed.append(name)
            if changed:
                _save_fields(org, changed, touch=False)
                result[org_id] = changed
        FieldProvenance.objects.bulk_create(new, batch_size=1000)
        bulk.update(
            FieldProvenance,
            ("value", "record_id", "recorded_at"),
            ([p.value, p.record_id, p.recorded_at, p.pk] for p in renewed),
        )
    if result:
        directory_touch()
    return result


def _field_record(
    *,
    organization: Organization,
    name: str,
    value: Any,
    origin: str,
    by: Any,
    record: SourceRecord | None,
) -> bool:
    """Write the provenance row; set the value on the (unsaved) organization if this origin
    wins the field. True when the organization's value changed."""
    FieldProvenance.objects.update_or_create(
        organization=organization,
        field=name,
        origin=origin,
        defaults={
            "value": value,
            "record": record,
            "recorded_by": _user(by),
            "recorded_at": timezone.now(),
        },
    )
    rank = ORIGIN_RANK[Origin(origin)]
    outranked = any(
        ORIGIN_RANK[Origin(o)] > rank
        for o in FieldProvenance.objects.filter(organization=organization, field=name)
        .exclude(origin=origin)
        .values_list("origin", flat=True)
    )
    if outranked:
        return False
    return _set_value(organization, name, value)


def _set_value(org: Organization, name: str, value: Any, places: _Places | None = None) -> bool:
    if name == "facebook":
        links = dict(org.social_links or {})
        if links.get("facebook", "") == (value or ""):
            return False
        if value:
            links["facebook"] = value
        else:
            links.pop("facebook", None)
        org.social_links = links
        return True
    if name == "home_place":
        place_id = value.pk if isinstance(value, Place) else value
        if org.home_place_id == place_id:
            return False
        places = places or _Places()
        if place_id:
            places.fill([place_id])
        known = bool(place_id) and place_id in places.lft
        org.home_place_id = place_id if known else None
        org.place_lft = places.lft[place_id] if known else None
        return True
    if name == "issue_areas":
        slugs = sorted(a.slug if isinstance(a, IssueArea) else str(a) for a in value or [])
        areas = list(IssueArea.objects.filter(slug__in=slugs))
        if sorted(a.slug for a in org.issue_areas.all()) == slugs:
            return False
        org.issue_areas.set(areas)
        org.issue_mask = issue_mask_of(areas)
        return True
    if getattr(org, name) == value:
        return False
    setattr(org, name, value)
    return True


def _save_fields(org: Organization, names: list[str], *, touch: bool = True) -> None:
    columns = {"social_links" if f == "facebook" else f for f in names if f != "issue_areas"}
    if "home_place" in columns:
        columns.add("place_lft")
    if "issue_areas" in names:
        columns.add("issue_mask")
    org.save(update_fields=sorted(columns | {"updated_at"}))
    if touch:
        directory_touch()


@transaction.atomic
def field_set(
    *,
    organization: Organization,
    field: str,
    value: Any,
    origin: str,
    by: Any = None,
    record: SourceRecord | None = None,
) -> bool:
    """Record that `origin` says `field` of `organization` is `value`, and apply it if that
    origin wins the field (claim and coordinator outrank import; between equals the latest
    wins). The caller checks permissions. Returns True if the listing changed.

    Fields: name, kind, description, home_place (a Place or its id), latitude, longitude,
    website, facebook, public_email, public_phone, issue_areas (IssueAreas or slugs),
    languages, status.
    """
    if field not in SETTABLE_FIELDS:
        raise ValueError(f"unknown field {field!r}; known: {', '.join(sorted(SETTABLE_FIELDS))}")
    origin = Origin(origin)
    stored = value
    if isinstance(value, Place):
        stored = value.pk
    elif field == "issue_areas":
        stored = sorted(a.slug if isinstance(a, IssueArea) else str(a) for a in value or [])
    changed = _field_record(
        organization=organization, name=field, value=stored, origin=origin, by=by, record=record
    )
    if changed:
        _save_fields(organization, [field])
    if origin != Origin.IMPORT:
        audit_record(
            actor=_user(by),
            action=f"sources.field_set.{origin}",
            target=organization,
            data={"field": field, "applied": changed},
        )
    return changed


@transaction.atomic
def field_clear(*, organization: Organization, field: str, origin: str, by: Any = None) -> bool:
    """Withdraw what `origin` said about a field (a claim released, a correction undone); the
    next origin in rank takes the field back. Returns True if the listing changed."""
    origin = Origin(origin)
    FieldProvenance.objects.filter(organization=organization, field=field, origin=origin).delete()
    rest = sorted(
        FieldProvenance.objects.filter(organization=organization, field=field),
        key=lambda p: (ORIGIN_RANK[Origin(p.origin)], p.recorded_at),
    )
    if not rest:
        return False
    changed = _set_value(organization, field, rest[-1].value)
    if changed:
        _save_fields(organization, [field])
    return changed
