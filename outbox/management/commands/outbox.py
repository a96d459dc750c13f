"""`commonweal outbox sweep`: queue again the messages whose retry was lost.
`commonweal outbox status`: how many messages are in each state."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from outbox import services
from outbox.models import OutboxMessage


class Command(BaseCommand):
    help = "The outbox of outgoing mail: `sweep` (re-queue lost retries) or `status`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["sweep", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "sweep":
            result = services.outbox_sweep()
            self.stdout.write(f"{result['requeued']} queued again, {result['stuck']} unstuck")
            return
        counts = dict(
            OutboxMessage.objects.values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        mode = "relaying to a mail server" if services.relaying() else "holding (no mail server)"
        self.stdout.write(f"Outbox {mode}: {counts or 'empty'}")
