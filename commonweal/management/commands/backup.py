"""`commonweal backup PATH`: the whole hub (every table and the uploaded files) in one file
sealed with a passphrase, from COMMONWEAL_BACKUP_PASSPHRASE or asked for twice."""

import getpass
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commonweal.backups import backup_write

ENV = "COMMONWEAL_BACKUP_PASSPHRASE"


def passphrase(*, confirm: bool) -> str:
    """The passphrase from the environment, or typed (twice when making a backup)."""
    if value := os.environ.get(ENV):
        return value
    if not sys.stdin.isatty():
        raise CommandError(f"Set {ENV} or run this in a terminal to type the passphrase.")
    first = getpass.getpass("Passphrase: ")
    if confirm and getpass.getpass("Passphrase again: ") != first:
        raise CommandError("The two passphrases differ.")
    if len(first) < 8:
        raise CommandError("Use a passphrase of at least 8 characters.")
    return first


class Command(BaseCommand):
    help = "Write the whole hub (database and uploaded files) to one passphrase-sealed file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the file to write (it must not exist yet)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists():
            raise CommandError(f"{path} already exists; choose a new name.")
        secret = passphrase(confirm=True)
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("xb") as out:
                summary = backup_write(out=out, passphrase=secret)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"Wrote {path}: {summary.rows} rows of {summary.models} tables and {summary.files} "
            f"uploaded files, {path.stat().st_size} bytes, in {summary.seconds:.1f} s."
        )
