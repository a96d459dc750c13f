"""`commonweal export links --out FILE.csv`: which organization every imported record became."""

import contextlib
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commonweal.lib import csvsafe
from resolution.services import records_resolve
from sources.models import SourceRecord

KINDS = ("links", "organizations")


class Command(BaseCommand):
    help = (
        "Export resolution results. `export links --out FILE.csv` writes one row per imported "
        "record: source, record_key (its 1-based position in its file), organization_id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=KINDS, help="what to export: links or organizations")
        parser.add_argument(
            "--format", choices=("csv", "geojson"), default="csv", help="organizations only"
        )
        parser.add_argument("--out", required=True, help="CSV file to write ('-' for stdout)")
        parser.add_argument(
            "--include-vanished",
            action="store_true",
            help="also list records missing from their source's latest file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["out"]
        if options["what"] == "organizations":
            # The directory itself is written by the sources app (sources/exports.py).
            from sources.management.export import organizations_command

            organizations_command(self, out, options["format"])
            return
        if SourceRecord.objects.filter(organization__isnull=True).exists():
            # Every record must name its organization; resolve the ones an import left behind.
            self.stderr.write("Resolving records that have no organization yet…")
            records_resolve()
        records = SourceRecord.objects.all()
        if not options["include_vanished"]:
            # A vanished record's position is from an older file and may now be another's.
            records = records.filter(vanished=False)
        rows = (
            records.order_by("source__name", "record_key", "pk")
            .values_list("source__name", "record_key", "organization_id")
            .iterator(chunk_size=5000)
        )
        count = 0
        try:
            with (
                contextlib.nullcontext(sys.stdout)
                if out == "-"
                else Path(out).open("w", newline="", encoding="utf-8")
            ) as fh:
                writer = csvsafe.writer(fh)
                writer.writerow(["source", "record_key", "organization_id"])
                for source, key, org_id in rows:
                    writer.writerow([source, key, org_id if org_id is not None else ""])
                    count += 1
        except OSError as exc:
            raise CommandError(f"--out: cannot write {out}: {exc.strerror}") from exc
        if out != "-":
            self.stdout.write(f"Wrote {count} records to {out}")
