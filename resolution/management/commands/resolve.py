"""`commonweal resolve [--train]`: group every imported record into organizations again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from resolution.services import model_path, model_train, records_resolve


class Command(BaseCommand):
    help = (
        "Group all imported records into organizations, keeping coordinators' decisions. "
        "Imports do this by themselves; run it after training or to check the directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--train",
            action="store_true",
            help="first re-estimate the matching model from the records this hub holds",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["train"]:
            try:
                path = model_train()
            except ValueError as exc:
                raise CommandError(f"--train: {exc}") from exc
            self.stdout.write(f"Trained the model on this hub's records: {path}")
        else:
            self.stdout.write(f"Using the model in {model_path()}")
        result = records_resolve()
        self.stdout.write(
            f"{result.records} records: {result.organizations_created} organizations created, "
            f"{result.records_moved} records moved, {result.organizations_removed} emptied "
            f"organizations removed; {result.review_pairs} pairs wait for review."
        )
