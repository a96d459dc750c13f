import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.readers import FORMATS, ReadError, mapping_from_json
from sources.services import ImportFailed, import_file


class Command(BaseCommand):
    help = (
        "Import a list of groups (CSV/TSV, XLSX/ODS, GeoJSON, JSON, JSON lines, Murmurations "
        "profiles) into a source. Re-importing a source updates it instead of duplicating."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", default="", help="Name of the source (default: file name)")
        parser.add_argument("--format", choices=FORMATS, default=None)
        parser.add_argument(
            "--mapping",
            type=Path,
            help='JSON file mapping our fields to your columns: {"name": "Group", "email": null} '
            "(null or an empty string: leave the field empty, do not guess it)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen, save nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file")
        mapping = None
        if options["mapping"]:
            try:
                mapping = mapping_from_json(json.loads(options["mapping"].read_text()))
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"cannot read the mapping file: {exc}") from exc
            except ValueError as exc:
                raise CommandError(f"the mapping file: {exc}") from exc
        show = sys.stderr.isatty()
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if not show:
                return
            rate = done / max(time.monotonic() - started, 0.001)
            if total:
                width = 30
                filled = min(width, int(width * done / total))
                bar = "#" * filled + "-" * (width - filled)
                sys.stderr.write(f"\r[{bar}] {done:,}/{total:,} rows, {rate:,.0f}/s ")
            else:
                sys.stderr.write(f"\r{done:,} rows, {rate:,.0f}/s ")
            sys.stderr.flush()

        try:
            run, outcome = import_file(
                user=None,
                path=path,
                source_name=options["source"] or path.stem,
                fmt=options["format"],
                mapping=mapping,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ReadError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        except ImportFailed as exc:
            raise CommandError(
                f"{path.name}: the import stopped and nothing was saved: {exc}"
            ) from exc
        finally:
            if show:
                sys.stderr.write("\n")
        for error in outcome.errors:
            self.stderr.write(f"line {error.line}: {error.reason}")
        prefix = "Dry run, nothing saved. " if options["dry_run"] else f"Run {run.pk}: "
        self.stdout.write(f"{prefix}{run.source.name}: {outcome.summary()}")
