"""Resolve records into organizations whenever an import has written them."""

import contextlib
from typing import Any

from sources.signals import HANDLED


def resolve_after_import(sender: Any, run: Any, record_ids: list[int], **kwargs: Any) -> str:
    # The work is a service call, so that imports, coordinators' decisions and the command
    # line all go through the same path.
    from resolution.services import records_resolve

    records_resolve()
    return HANDLED


def split_after_undo(sender: Any, records: list[Any], by: Any, **kwargs: Any) -> str:
    """An undone import had merged these records into another group's organization: split
    them off again through the same service a coordinator uses, which remembers the split."""
    from resolution.services import records_split

    by_org: dict[int, list[Any]] = {}
    for record in records:
        if record.organization_id is not None:
            by_org.setdefault(record.organization_id, []).append(record)
    for group in by_org.values():
        # Nothing staying behind in that organization means the records are apart already.
        with contextlib.suppress(ValueError):
            records_split(records=group, by=by, reason="Import undone")
    return HANDLED
