"""What a coalition's pages sum up over all its members, remembered per process until the
directory changes."""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.db import connection

from directory.models import Organization
from directory.selectors import directory_version

# What a coalition's pages sum up over all its members, per process: (directory version,
# coalition, what) → the sums, the graph, the map's points. Every membership step and listing
# change moves the version. With 5,000 members these took most of the page's time
# (bench/connect, SQLite: about 110 of 165 ms of CPU for the page, 120 ms for its map), and
# whom-to-meet for a coalition needs the same coverage.
_remembered: "OrderedDict[tuple[int, int, str], Any]" = OrderedDict()
_remembered_lock = threading.Lock()
REMEMBERED = 1024


def remembered(coalition: Organization, what: str, compute: Callable[[], Any]) -> Any:
    """`compute()` for this coalition, or what it gave since the directory last changed."""
    # Inside a transaction what is summed may still be rolled back: compute, do not remember.
    if connection.in_atomic_block:
        return compute()
    key = (directory_version(), coalition.pk, what)
    with _remembered_lock:
        found = _remembered.get(key)
        if found is not None:
            _remembered.move_to_end(key)
            return found
    found = compute()
    # Server threads share the dictionary; two computing one page at once store equal values.
    with _remembered_lock:
        _remembered[key] = found
        while len(_remembered) > REMEMBERED:
            _remembered.popitem(last=False)
    return found
