"""The forked reader: large files are read and cleaned in a second process while the importing
one writes, so that the two halves of an import each keep one core busy."""

import multiprocessing
import multiprocessing.connection
import warnings
from collections.abc import Iterator
from pathlib import Path

from directory.readers import ReadError, Row, RowError, read
from sources.models import (
    ImportRun,
)
from sources.services.cleaning import Cleaned, _clean
from sources.services.geocoding import _Places

# Files with at least this many rows (by line count) are read and cleaned in a second process
# while this one writes: the two halves of an import each keep one core busy.
PARALLEL_MIN_ROWS = 5000


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
    rows = read(path, run.format or None, run.mapping or None)
    if (
        _count_estimate(path) < PARALLEL_MIN_ROWS
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield from _clean(rows, places)
        return
    places.geocoder  # noqa: B018 -- loaded here, so the forked reader shares it
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    reader = context.Process(target=_clean_elsewhere, args=(rows, places, sender), daemon=True)
    with warnings.catch_warnings():
        # Threads of database drivers or DuckDB may exist here; the forked reader never
        # touches them or their locks, only the file, the cleaners and the geocoder's tables.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        reader.start()
    sender.close()
    try:
        while True:
            message = receiver.recv()
            if message is None:
                break
            if isinstance(message, BaseException):
                raise message
            yield message
        reader.join()
    finally:
        if reader.is_alive():
            reader.terminate()
            reader.join()
        receiver.close()


def _clean_elsewhere(
    rows: Iterator[Row | RowError], places: _Places, sender: "multiprocessing.connection.Connection"
) -> None:
    """The forked reader: no database here, only the file, the cleaners and the geocoder."""
    try:
        for chunk in _clean(rows, places):
            sender.send(chunk)
    except ReadError as exc:
        sender.send(exc)
    except Exception as exc:  # noqa: BLE001 -- reported to the importing process, which fails the run
        sender.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    else:
        sender.send(None)
    finally:
        sender.close()
