"""A group's choice of what its page shows of the support it gave and received."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record
from directory.models import Organization
from solidarity import permissions
from solidarity.models import SupportSettings


@transaction.atomic
def support_settings_set(*, user: Any, organization: Organization, show_ties: bool) -> None:
    """Show or keep off the group's page whom it helped and who helped it. The bird's-eye view
    still counts the ties, without naming the groups."""
    if not permissions.is_admin(user, organization):
        raise PermissionDenied(_("Only this group's admins choose what its page shows."))
    SupportSettings.objects.update_or_create(
        organization=organization,
        defaults={"show_ties": show_ties, "updated_by": user if user.is_authenticated else None},
    )
    audit_record(
        actor=user,
        action="solidarity.support_settings_set",
        target=organization,
        data={"show_ties": show_ties},
    )
