"""`commonweal sample --organizations N`: fictional listings for demos and benchmarks."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.sample import SampleError, sample_create


class Command(BaseCommand):
    help = "Add fictional sample organizations (clearly marked as samples) over the loaded places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organizations", type=int, default=2000, help="How many listings (default 2000)."
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Random seed; the same seed makes the same data."
        )
        parser.add_argument(
            "--coalitions",
            type=int,
            default=None,
            help="How many coalitions (default: one per 100 listings, at most 1000).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete earlier sample listings first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = sample_create(
                organizations=options["organizations"],
                seed=options["seed"],
                coalitions=options["coalitions"],
                replace=options["replace"],
            )
        except SampleError as exc:
            raise CommandError(str(exc)) from exc
        if result.deleted:
            self.stdout.write(f"Deleted {result.deleted:,} earlier sample listings.")
        self.stdout.write(
            f"Added {result.organizations:,} sample organizations and {result.coalitions:,} "
            f"coalitions with {result.memberships:,} memberships."
        )
        if options["verbosity"] > 1:
            for label, seconds in result.seconds.items():
                self.stdout.write(f"  {label}: {seconds:.1f} s")
