"""`manage.py decide tally PATH ...`: the same counting as `commonweal decide tally`."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Count a PrefLib or Pabulib ballot file and print the outcome as JSON."
    requires_system_checks: list[str] = []  # no database or checks needed to count a file

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs="*")

    def run_from_argv(self, argv: list[str]) -> None:
        from assemblies.methods.cli import main

        sys.exit(main(argv[2:]))

    def handle(self, *args: Any, **options: Any) -> None:
        from assemblies.methods.cli import main

        code = main(list(args))
        if code:
            sys.exit(code)
