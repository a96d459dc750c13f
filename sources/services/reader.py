"""The reader: every file is read and cleaned in a forked child process, with a memory
ceiling and (for runs from the pages) a time limit, while this process writes.

A hostile file (a spreadsheet that makes its native reader ask for 512 GiB, JSON nested
200,000 deep) can then end only the child: the run is told why and fails cleanly, and the
worker that runs imports, alerts and opinion maps carries on. The two halves of an import
also keep one core busy each.
"""

import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from commonweal.lib import sandbox
from directory.readers import read
from sources.models import ImportRun
from sources.services.cleaning import Cleaned, _clean
from sources.services.geocoding import _Places


@dataclass(frozen=True)
class Limits:
    """What the reading of one run may take, and how it learns that it must stop."""

    memory_mb: int | None = None
    seconds: float | None = None
    should_stop: Callable[[], bool] | None = None


# Set by `runs.import_run_execute` around a run, read by `_cleaned_chunks` deep inside it.
current_limits: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "import_limits", default=None
)


def _count_estimate(path: Path) -> int:
    """Rows to expect, for the progress bar: lines for text tables, 0 (unknown) otherwise."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".jsonl", ".ndjson"):
        return 0
    try:
        with path.open("rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


def _cleaned_chunks(run: ImportRun, places: _Places) -> Iterator[list[Cleaned]]:
    path = Path(run.file_path)
    fmt, mapping = run.format or None, run.mapping or None
    if not sandbox.available():
        yield from _clean(read(path, fmt, mapping), places)
        return
    limits = current_limits.get() or Limits(memory_mb=settings.IMPORT_MEMORY_MB)
    places.geocoder  # noqa: B018 -- loaded here, so the forked reader shares it
    # The child has no database: only the file, the cleaners and the geocoder's tables.
    yield from sandbox.stream(
        lambda: _clean(read(path, fmt, mapping), places),
        memory_mb=limits.memory_mb,
        seconds=limits.seconds,
        should_stop=limits.should_stop,
    )
