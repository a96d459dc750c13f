"""`commonweal overview rebuild`: recount the bird's-eye view's figures now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from overview.services import overview_rebuild


class Command(BaseCommand):
    help = "Recount the bird's-eye view's figures (per place and issue) and fragile bridges."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args: Any, **options: Any) -> None:
        build = overview_rebuild()
        self.stdout.write(f"Counted {build.places} places with figures in {build.seconds:.1f} s.")
