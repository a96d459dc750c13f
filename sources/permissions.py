"""Who may import lists and see sources: site coordinators and regional coordinators.

Sources describe where public listings came from; run reports hold line numbers and reasons,
never private contact, so every coordinator may see all of them.
"""

from typing import Any

from accounts.models import RegionalCoordinator
from directory.permissions import is_site_coordinator


def can_import(user: Any) -> bool:
    if is_site_coordinator(user):
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return RegionalCoordinator.objects.filter(user=user).exists()
