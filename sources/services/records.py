"""The run itself: a file's clean rows become records of its source (rows of one group folded
into one record), the records get their organizations, and what the run changed in records
that existed before is kept so that the run can be undone (see undo.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.services import audit_record
from directory.models import Organization
from directory.readers import RowError
from directory.services import directory_touch
from sources import bulk
from sources.models import ImportRun, RecordChange, SourceRecord
from sources.services.geocoding import _Places
from sources.services.grouping import RowGroups
from sources.services.organizations import (
    organization_ids_of_records,
    organizations_apply_records,
    organizations_for_records,
)
from sources.services.reader import _cleaned_chunks
from sources.signals import HANDLED, records_imported

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
    "languages",
    "links",
    "content_hash",
    "last_seen_run_id",
    "vanished",
    "vanished_at",
    "updated_at",
)
_GROUP_FIELDS = ("service_places", "grouped_rows", "group_hash")
# What an undo puts back in a record the run changed.
SNAPSHOT_FIELDS = tuple(f for f in _RECORD_UPDATE if f != "updated_at") + _GROUP_FIELDS
# A file this long whose rows name this few groups is more likely a list of places per group
# (or a wrong name column) than a list of groups: the preview says so.
MISUSE_MIN_ROWS = 1000
MISUSE_ROWS_PER_NAME = 20
_NAMES_COUNTED = 5000


@dataclass
class ImportOutcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    vanished: int = 0
    reappeared: int = 0
    organizations_created: int = 0
    # Rows folded into an earlier row's record: the same group again, in the same region.
    grouped: int = 0
    # Distinct clean names among the rows, counted up to _NAMES_COUNTED.
    names: int = 0
    errors: list[RowError] = field(default_factory=list)
    # The first rows as mapped, for the preview.
    sample: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def looks_misused(self) -> bool:
        read = self.rows - len(self.errors)
        return read >= MISUSE_MIN_ROWS and self.names * MISUSE_ROWS_PER_NAME <= read

    def summary(self) -> str:
        listings = (
            f"at most {self.organizations_created:,} organizations would be created "
            "(duplicates are merged when the import runs)"
            if self.dry_run
            else f"{self.organizations_created:,} organizations created"
        )
        grouped = f", {self.grouped:,} rows grouped with another row of their group" * bool(
            self.grouped
        )
        return (
            f"{self.rows:,} rows: {self.created:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.vanished:,} vanished, "
            f"{self.reappeared:,} back again, {len(self.errors):,} errors{grouped}; {listings}"
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
            "grouped": self.grouped,
            "names": self.names,
            "looks_misused": self.looks_misused,
            "errors": [{"line": e.line, "reason": e.reason} for e in self.errors[:1000]],
            "error_count": len(self.errors),
            "sample": self.sample,
        }


class _Befores:
    """Values of records before the run changed them, first value wins, written at the end."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.values: dict[int, dict[str, Any]] = {}

    def take(self, pks: list[int], fields: tuple[str, ...] = SNAPSHOT_FIELDS) -> None:
        if not self.keep or not pks:
            return
        for i in range(0, len(pks), 2000):
            for row in SourceRecord.objects.filter(pk__in=pks[i : i + 2000]).values("pk", *fields):
                pk = row.pop("pk")
                mine = self.values.setdefault(pk, {})
                for name, value in row.items():
                    mine.setdefault(name, value)

    def add(self, pk: int, values: dict[str, Any]) -> None:
        if self.keep:
            mine = self.values.setdefault(pk, {})
            for name, value in values.items():
                mine.setdefault(name, value)

    def write(self, run: ImportRun) -> None:
        if self.keep:
            RecordChange.objects.bulk_create(
                (RecordChange(run=run, record_id=pk, before=b) for pk, b in self.values.items()),
                batch_size=1000,
            )


def _execute(
    run: ImportRun, report: Callable[[int], None], sample_size: int, dry_run: bool
) -> ImportOutcome:
    source = run.source
    outcome = ImportOutcome(dry_run=dry_run)
    places = _Places()
    now = timezone.now()
    # identity → (pk, content hash, record_key, vanished, group hash)
    known: dict[str, tuple[int, str, int, bool, str]] = {
        identity: (pk, h, key, vanished, gh)
        for identity, pk, h, key, vanished, gh in SourceRecord.objects.filter(
            source=source
        ).values_list("identity", "pk", "content_hash", "record_key", "vanished", "group_hash")
    }
    befores = _Befores(keep=not dry_run)
    groups = RowGroups()
    names: set[str] = set()
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
            where = values.pop("_where")
            if len(names) < _NAMES_COUNTED:
                names.add(values["name_clean"])
            if groups.join(values, where) is not None:
                outcome.grouped += 1
                continue
            if identity in seen:
                # The same group twice in one file: keep both, told apart by their order.
                i = 2
                while f"{identity}#{i}" in seen:
                    i += 1
                identity = f"{identity}#{i}"
            seen.add(identity)
            groups.start(identity, values, where)
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
            pk, old_hash, old_key, was_vanished, _group_hash = old
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
        befores.take([row[-1] for row in changed])
        befores.take([pk for _key, _line, pk in moved], ("record_key", "line"))
        bulk.insert(SourceRecord, new, now=now)
        bulk.update(SourceRecord, _RECORD_UPDATE, changed)
        bulk.update(SourceRecord, ("record_key", "line"), moved)
        report(outcome.rows)
    outcome.names = len(names)
    _groups_write(run, groups, known, befores, outcome, changed_pks, now)
    # Records seen again unchanged were last seen by the source's previous run: an undo puts
    # that back for all of them at once, so nothing is kept per record here.
    bulk.update(SourceRecord, ("last_seen_run_id",), ((run.pk, pk) for pk in seen_pks))
    vanishing = SourceRecord.objects.filter(source=source, vanished=False).exclude(
        last_seen_run=run
    )
    if befores.keep:
        for pk in vanishing.values_list("pk", flat=True):
            befores.add(pk, {"vanished": False, "vanished_at": None})
    outcome.vanished = vanishing.update(vanished=True, vanished_at=now)
    signalled = sorted(
        set(SourceRecord.objects.filter(first_seen_run=run).values_list("pk", flat=True))
        | set(changed_pks)
    )
    if dry_run:
        # A preview does not look for duplicates (that is the slow part of a large import):
        # every new record could become a listing, and the real run merges the duplicates.
        outcome.organizations_created = outcome.created
    else:
        outcome.organizations_created = _resolve(run, signalled, befores)
        befores.write(run)
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
                "grouped": outcome.grouped,
            },
        )
    return outcome


def _groups_write(
    run: ImportRun,
    groups: RowGroups,
    known: dict[str, tuple[int, str, int, bool, str]],
    befores: _Befores,
    outcome: ImportOutcome,
    changed_pks: list[int],
    now: Any,
) -> None:
    """Give each record the rows folded into it (its service area), and take them from records
    whose group this file no longer repeats. A record whose first row was unchanged but whose
    group changed counts as updated."""
    folded = groups.folded()
    identities = [
        i for i in groups.by_identity if i in folded or (i in known and known[i][4] != "")
    ]
    if not identities:
        return
    pks: dict[str, int] = {}
    for i in range(0, len(identities), 2000):
        pks.update(
            SourceRecord.objects.filter(
                source=run.source, identity__in=identities[i : i + 2000]
            ).values_list("identity", "pk")
        )
    empty = {"service_places": [], "grouped_rows": [], "group_hash": ""}
    rows: list[list[Any]] = []
    already = set(changed_pks)
    for identity in identities:
        pk = pks.get(identity)
        values = folded.get(identity, empty)
        old = known.get(identity)
        if pk is None or (old is not None and old[4] == values["group_hash"]):
            continue
        if old is not None:
            befores.take([pk], _GROUP_FIELDS)
            if pk not in already:
                already.add(pk)
                changed_pks.append(pk)
                outcome.unchanged -= 1
                outcome.updated += 1
        rows.append([values[name] for name in _GROUP_FIELDS] + [now, pk])
    bulk.update(SourceRecord, (*_GROUP_FIELDS, "updated_at"), rows)


# Every record's organization before duplicate finding runs, kept in a temporary table rather
# than in this process: a directory of millions of records would take hundreds of MB here.
_HOMES = "commonweal_import_homes"


def _homes_keep() -> None:
    records = connection.ops.quote_name(SourceRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_HOMES}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_HOMES} AS SELECT id, organization_id FROM {records} "  # noqa: S608 -- fixed identifiers
            "WHERE organization_id IS NOT NULL"
        )


def _homes_moved() -> list[tuple[int, int]]:
    """(record, its organization before) for records that duplicate finding moved."""
    records = connection.ops.quote_name(SourceRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.id, h.organization_id FROM {_HOMES} h JOIN {records} r ON r.id = h.id "  # noqa: S608 -- fixed identifiers
            "WHERE r.organization_id IS NULL OR r.organization_id <> h.organization_id"
        )
        moved = [(int(pk), int(org)) for pk, org in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {_HOMES}")
    return moved


def _resolve(run: ImportRun, record_ids: list[int], befores: _Befores) -> int:
    """Give the run's records their organizations: the resolution app's receiver if it takes
    over, else one new organization per record that has none. Then organizations whose records
    changed follow them. Returns how many organizations were created. Records that the
    resolution moves from one organization to another are remembered for an undo."""
    if not record_ids:
        return 0
    before = Organization.objects.count()
    watching = befores.keep and records_imported.has_listeners(ImportRun)
    if watching:
        _homes_keep()
    answers = records_imported.send(sender=ImportRun, run=run, record_ids=record_ids)
    if any(answer == HANDLED for _receiver, answer in answers):
        created = Organization.objects.count() - before
    else:
        created = organizations_for_records(record_ids=record_ids)
    if watching:
        for pk, org_id in _homes_moved():
            befores.add(pk, {"organization_id": org_id})
    changed_orgs = organization_ids_of_records(record_ids, older_than=run)
    organizations_apply_records(organization_ids=changed_orgs)
    return max(created, 0)
