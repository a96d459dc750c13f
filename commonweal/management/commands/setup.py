"""`commonweal setup`: what a first run needs, done once; later runs return at once, silently."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from directory.models import Organization
from places.models import Place

DEMO_SIZE = 2000


class Command(BaseCommand):
    help = "Load the world's places and sample listings if the hub has none yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sample",
            type=int,
            default=DEMO_SIZE,
            help=f"How many sample listings a new hub gets (default {DEMO_SIZE}; 0 for none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not Place.objects.exists():
            self.stdout.write("First run: loading the world's places (takes a minute or two)…")
            call_command("places", "load", stdout=self.stdout, stderr=self.stderr)
        # Sample listings only go into an empty directory, never beside real ones.
        if options["sample"] and not Organization.objects.exists():
            self.stdout.write(f"First run: adding {options['sample']:,} fictional sample listings…")
            call_command("sample", organizations=options["sample"], stdout=self.stdout)
