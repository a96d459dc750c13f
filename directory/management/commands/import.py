import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.importing import organizations_import
from directory.readers import FORMATS, ReadError


class Command(BaseCommand):
    help = "Import a list of groups (CSV/TSV, GeoJSON, JSON, JSON lines) into the directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", default="", help="Name of the source (default: file name)")
        parser.add_argument("--format", choices=FORMATS, default=None)
        parser.add_argument(
            "--mapping", type=Path, help="JSON file mapping our fields to your column names"
        )
        parser.add_argument("--dry-run", action="store_true", help="Report without saving")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"].read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"cannot read the mapping file: {exc}") from exc
            if not isinstance(mapping, dict):
                raise CommandError('the mapping file must be a JSON object like {"name": "Group"}')

        def progress(n: int) -> None:
            if sys.stderr.isatty() and n % 500 == 0:
                sys.stderr.write(f"\r{n} rows read…")

        try:
            report = organizations_import(
                user=None,
                path=path,
                source=options["source"] or path.stem,
                fmt=options["format"],
                mapping=mapping,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ReadError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        if sys.stderr.isatty():
            sys.stderr.write("\r")
        for error in report.errors:
            self.stderr.write(f"line {error.line}: {error.reason}")
        self.stdout.write(report.summary())
