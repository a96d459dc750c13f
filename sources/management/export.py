"""`commonweal export organizations --out FILE.csv [--format csv|geojson]`.

The `export` command itself lives with the resolution app (which adds `export links`); it hands
`organizations` to this function.
"""

import contextlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sources.exports import organizations_write


def organizations_command(command: BaseCommand, out: str, fmt: str) -> int:
    try:
        with (
            contextlib.nullcontext(sys.stdout)
            if out == "-"
            else Path(out).open("w", newline="", encoding="utf-8")
        ) as fh:
            count = organizations_write(fh, fmt)
    except OSError as exc:
        raise CommandError(f"--out: cannot write {out}: {exc.strerror}") from exc
    if out != "-":
        command.stdout.write(f"Wrote {count} organizations to {out}")
    return count
