"""`commonweal tag [--all|--untagged] [--dry-run]`: suggest issue areas from names and descriptions."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from directory.tagging import organizations_tag


class Command(BaseCommand):
    help = (
        "Suggest issue areas for listings from their name and description. Areas a person chose "
        "are never changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--all",
            action="store_true",
            help="Re-tag every listing whose areas were not chosen by a person.",
        )
        which.add_argument(
            "--untagged", action="store_true", help="Tag only listings never tagged (default)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--method",
            choices=["model", "keywords"],
            default=None,
            help="model (sentence model, when installed) or keywords. Default: the model if "
            "it is installed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        show = options["verbosity"] > 0 and sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if show:
                sys.stderr.write(f"\r{done:,} / {total:,} listings")
                sys.stderr.flush()

        report = organizations_tag(
            only_untagged=not options["all"],
            dry_run=options["dry_run"],
            method=options["method"],
            progress=progress,
        )
        if show:
            sys.stderr.write("\n")
        verb = "would change" if options["dry_run"] else "changed"
        self.stdout.write(
            f"{report.considered} listings read with the {report.method} method; "
            f"{report.tagged} have at least one area; {verb} {report.changed}."
        )
        for slug, count in sorted(report.by_area.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {slug}: {count}")
        if options["dry_run"]:
            for pk, name, slugs in report.samples:
                self.stdout.write(f"  #{pk} {name}: {', '.join(slugs) or '(none)'}")
