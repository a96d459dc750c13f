"""`commonweal restore PATH`: bring back a backup written by `commonweal backup` into a
migrated database; a database that already holds data is refused unless --replace."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commonweal.backups import BackupError, Damaged, WrongPassphrase, backup_restore
from commonweal.management.commands.backup import passphrase


class Command(BaseCommand):
    help = "Restore a backup written by `commonweal backup` into this (migrated) database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace every row of a database that already holds data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        secret = passphrase(confirm=False)
        try:
            with path.open("rb") as source:
                summary = backup_restore(
                    source=source, passphrase=secret, replace=options["replace"]
                )
        except (WrongPassphrase, Damaged, BackupError) as error:
            raise CommandError(f"{error} Nothing was changed.") from error
        self.stdout.write(
            f"Restored {summary.rows} rows and {summary.files} uploaded files from {path} "
            f"in {summary.seconds:.1f} s."
        )
