from typing import Any

from django import template

from sources.models import ImportRun
from sources.services import can_undo

register = template.Library()


@register.simple_tag
def run_undoable(run: ImportRun, user: Any) -> bool:
    """Whether this person may undo this run now (see sources.services.undo.can_undo)."""
    return user is not None and can_undo(user, run)
