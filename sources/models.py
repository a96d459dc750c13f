"""Where listings come from: sources, their import runs, the records they hold, field provenance.

The flow, for the apps that build on it (resolution, claims):

1. A `Source` is a named list of groups (a CSV someone publishes, a Murmurations index...).
   Every import of a file into it is an `ImportRun` with counts and an error report.
2. Each data row / feature / element of the file becomes (or updates) one `SourceRecord`. The
   record keeps the row exactly as read (`raw`) and normalized fields beside the originals.
   A record is identified inside its source by `identity`: the source's own id when it has one,
   else a key from normalized content (clean name + postcode or city + clean website), never by
   row position. `record_key` is only its 1-based position in the latest file.
   Re-importing updates changed records, leaves unchanged ones alone, flags records missing from
   the new file as `vanished` (never deletes them) and un-flags them when they come back.
   Rows of one file naming the same group in one region at other places are folded into the
   first row's record (`grouped_rows`), whose `service_places` become its organization's
   service area (sources.services.grouping).
3. After a run has written its records, `sources.signals.records_imported` is sent with
   `run` and `record_ids` (records the run created, changed or brought back), inside the run's
   transaction. A receiver that groups records into organizations (the resolution app) sets
   `SourceRecord.organization` itself and returns `sources.signals.HANDLED`; it builds new
   organizations with `sources.services.organizations_for_records(record_ids=[...])` and brings
   merged ones up to date with `sources.services.organization_apply_records(organization=org)`.
   If no receiver returns HANDLED, each record without an organization gets a new one of its
   own. Either way, afterwards the organizations of records that existed before the run and
   changed are brought up to date from their records.
4. Every field of an organization knows who said it: `FieldProvenance` holds, per organization,
   field and origin (import / claim / coordinator), the current value, the record it came from
   (for imports) and when. Claim and coordinator values outrank imported ones: an import never
   overwrites a field that a claim or a coordinator set. Claims and coordinators write through
   `sources.services.field_set(organization=org, field="website", value=..., origin="claim", by=user)`.
5. What a run changed in records that existed before it is kept in `RecordChange`, so that the
   run can be undone (`sources.services.import_run_undo`).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class SourceFormat(models.TextChoices):
    CSV = "csv", "CSV / TSV"
    XLSX = "xlsx", "Excel (XLSX)"
    ODS = "ods", "OpenDocument spreadsheet (ODS)"
    GEOJSON = "geojson", "GeoJSON"
    JSON = "json", "JSON"
    JSONL = "jsonl", "JSON lines"
    MURMURATIONS = "murmurations", "Murmurations profiles"


class Source(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    format = models.CharField(max_length=16, choices=SourceFormat.choices, blank=True)
    location = models.CharField(
        max_length=1000, blank=True, help_text="Where the list is published (address or file)."
    )
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    # Uploaded from the web and previewed, waiting for the coordinator to confirm.
    PENDING = "pending", "Waiting for confirmation"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # Rolled back by a coordinator: what the run did was taken back.
    UNDONE = "undone", "Undone"


class ImportRun(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The file read by this run: the path given on the command line, or the upload kept in var/.
    file_path = models.CharField(max_length=1000)
    file_name = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=16, choices=SourceFormat.choices, blank=True)
    # Our field → their column, overriding the guess from headers.
    mapping = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    vanished = models.PositiveIntegerField(default=0)
    reappeared = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    organizations_created = models.PositiveIntegerField(default=0)
    # Rows folded into another row's record: the same group named again in one region.
    grouped = models.PositiveIntegerField(default=0)
    # The run kept what it changed (RecordChange), so it can be undone; runs from before
    # undo existed did not.
    keeps_undo = models.BooleanField(default=False)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # [{"line": 7, "reason": "no name"}, ...]
    error_report = models.JSONField(default=list, blank=True)
    # What a dry run over the file found, shown on the web preview before confirming.
    preview = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Why a failed run failed, in words for the coordinator.
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (
            RunStatus.DONE,
            RunStatus.FAILED,
            RunStatus.CANCELLED,
            RunStatus.UNDONE,
        )

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == RunStatus.DONE else 0
        return min(100, int(100 * self.progress_done / self.progress_total))


class SourceRecordQuerySet(models.QuerySet["SourceRecord"]):
    def present(self) -> "SourceRecordQuerySet":
        return self.filter(vanished=False)


class SourceRecord(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="records")
    # Stable identity inside the source: "id:<external id>" or "key:<content key>".
    identity = models.CharField(max_length=200)
    # 1-based position in the latest file that held it (rows for CSV/XLSX, features, elements).
    record_key = models.PositiveIntegerField()
    line = models.PositiveIntegerField(default=0)
    external_id = models.CharField(max_length=300, blank=True)
    raw = models.JSONField(default=dict)
    name = models.CharField(max_length=300)
    name_clean = models.CharField(max_length=300, db_index=True)
    address = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=200, blank=True)
    region_code = models.CharField(max_length=10, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    website = models.CharField(max_length=500, blank=True)
    website_clean = models.CharField(max_length=500, blank=True)
    facebook = models.CharField(max_length=500, blank=True)
    email = models.CharField(max_length=254, blank=True)
    email_clean = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=60, blank=True)
    phone_clean = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    # ISO 639 codes (639-1 where one exists, else 639-3), from the row's language column.
    languages = models.JSONField(default=list, blank=True)
    # Links of the row beyond website and Facebook, with their column as their meaning.
    links = models.JSONField(default=list, blank=True)
    # Rows of the same file naming the same group in the same region are one record: the
    # places of all its rows (its service area) and the other rows as read, [{line, raw}].
    service_places = models.JSONField(default=list, blank=True)
    grouped_rows = models.JSONField(default=list, blank=True)
    # Hash of the folded rows, so a re-import tells a changed service area from an unchanged one.
    group_hash = models.CharField(max_length=40, blank=True)
    # Hash of the normalized fields: a re-import compares it to tell "updated" from "unchanged".
    content_hash = models.CharField(max_length=40)
    first_seen_run = models.ForeignKey(
        ImportRun, null=True, on_delete=models.SET_NULL, related_name="records_first_seen"
    )
    last_seen_run = models.ForeignKey(
        ImportRun, null=True, on_delete=models.SET_NULL, related_name="records_last_seen"
    )
    vanished = models.BooleanField(default=False)
    vanished_at = models.DateTimeField(null=True, blank=True)
    # The resolved organization this record belongs to (several records may share one).
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_records",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["source_id", "record_key"]
        constraints = [
            models.UniqueConstraint(fields=["source", "identity"], name="source_record_identity")
        ]
        indexes = [models.Index(fields=["source", "record_key"])]

    def __str__(self) -> str:
        return f"{self.source} #{self.record_key}: {self.name}"


class RecordChange(models.Model):
    """What a run changed in a record that existed before it, kept so that the run can be
    undone: the record's values before (only the fields the run touched)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="record_changes")
    record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="+")
    # Dates (a record's vanished_at) are kept as ISO text; the undo writes them back as such.
    before = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "record"], name="record_change_once")]

    def __str__(self) -> str:
        return f"run {self.run_id} changed record {self.record_id}"


class Origin(models.TextChoices):
    IMPORT = "import", "Imported"
    CLAIM = "claim", "The group itself"
    COORDINATOR = "coordinator", "A coordinator"


# Higher wins: a group's own word and a coordinator's correction outrank any imported list.
ORIGIN_RANK = {Origin.IMPORT: 0, Origin.CLAIM: 1, Origin.COORDINATOR: 1}


class FieldProvenance(models.Model):
    """Who says an organization's field has which value: one row per (organization, field,
    origin), kept current; the record (for imports) and the person (for claims) say who."""

    # No index of its own: the unique constraint below starts with the organization, and an
    # import writes several of these rows per listing, each index a cost.
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="field_provenance",
        db_index=False,
    )
    field = models.CharField(max_length=40)
    value = models.JSONField(null=True)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Only claims and coordinators' corrections name a person; imports write most rows, so the
    # index covers the rows that name someone (see Meta).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["organization_id", "field", "origin"]
        indexes = [
            models.Index(
                fields=["recorded_by"],
                condition=models.Q(recorded_by__isnull=False),
                name="field_provenance_by_person",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "field", "origin"], name="field_provenance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}.{self.field} from {self.origin}"
