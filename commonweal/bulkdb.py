"""Settings for the few writes that touch hundreds of thousands of rows at once."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def sqlite_page_cache(mebibytes: int) -> Iterator[None]:
    """A larger SQLite page cache for this connection while a bulk write runs.

    Web connections keep a small cache so each server thread stays light; a bulk write into
    several indexes at a time spills and re-reads pages from disk with it. The cache only grows
    as pages are touched and goes back to its usual size afterwards. Other databases: no-op.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(mebibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a bulk write builds millions of short-lived objects.

    Python runs a full collection each time the objects it tracks grow by a quarter, and a
    large import keeps hundreds of thousands of rows alive at once: each full pass walks them
    all, dozens of times per import, for nothing (rows are freed by reference counting).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
