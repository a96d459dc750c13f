"""`commonweal actions tick`: close calls whose deadline passed and recover stalled alerts.

Run it every minute from cron or a systemd timer; overlapping runs are harmless.
`commonweal actions send` runs queued alert work in this process (handy without a worker).
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from actions import services


class Command(BaseCommand):
    help = "Calls to action: `tick` (deadlines, stalled alerts) or `send` (run queued tasks now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["tick", "send"])

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        if what == "tick":
            result = services.call_tick()
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in result.items()))
        else:
            call_command("db_worker", batch=True, startup_delay=False, interval=0.1)
