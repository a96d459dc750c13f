"""Resolve records into organizations whenever an import has written them."""

from typing import Any

from sources.signals import HANDLED


def resolve_after_import(sender: Any, run: Any, record_ids: list[int], **kwargs: Any) -> str:
    # The work is a service call, so that imports, coordinators' decisions and the command
    # line all go through the same path.
    from resolution.services import records_resolve

    records_resolve()
    return HANDLED
