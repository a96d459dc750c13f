"""`commonweal places load|regions|stats`: build and inspect the place tree."""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from places.loader import shipped_regions_load, world_load
from places.models import Place
from places.services import places_touch


class Command(BaseCommand):
    help = "Build the world's places offline (load), refresh the shipped regions, or count places."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load or refresh countries, states, counties, cities.")
        load.add_argument(
            "--countries",
            default="",
            help="Comma-separated ISO codes to load only those countries, e.g. US,GB,CA.",
        )
        load.add_argument(
            "--min-population",
            type=int,
            default=0,
            help="Smallest locality to load (default 0: every town and village of the data, "
            "which holds places of 500+ people and local seats of government).",
        )
        regions = sub.add_parser("regions", help="Recreate the shipped regions (Cascadia, …).")
        stats = sub.add_parser("stats", help="Count places by kind.")
        for p in (load, regions, stats):
            # Accept `-v 2` after the action too; SUPPRESS keeps one given before it.
            p.add_argument(
                "-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=argparse.SUPPRESS
            )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load":
            self._load(options)
        elif action == "regions":
            count = shipped_regions_load()
            places_touch()
            self.stdout.write(f"Refreshed {count} regions.")
        else:
            rows = Place.objects.values("kind").annotate(n=Count("id")).order_by("kind")
            for row in rows:
                self.stdout.write(f"{row['kind']:<12} {row['n']:>9,}")

    def _load(self, options: dict[str, Any]) -> None:
        codes = [c.strip().upper() for c in options["countries"].split(",") if c.strip()]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise CommandError(
                f"--countries: {', '.join(bad)} is not a two-letter ISO country code."
            )
        if options["min_population"] < 0:
            raise CommandError("--min-population must be zero or more.")
        verbose = options["verbosity"] > 1
        report = world_load(
            countries=codes or None,
            min_population=options["min_population"],
            log=(lambda msg: self.stdout.write(f"  {msg}")) if verbose else (lambda _msg: None),
        )
        self.stdout.write(f"Places loaded: {report.summary()}.")
