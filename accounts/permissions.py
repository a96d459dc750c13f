"""What a person's account itself allows, whatever their roles."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def email_verified(user: Any) -> bool:
    """Has proved they read mail at their address. Acting for a group (listing or claiming it,
    acting as its admin, committing, pledging or voting in its name) needs this, so a throwaway
    address cannot speak for anyone."""
    return bool(getattr(user, "is_authenticated", False)) and (
        getattr(user, "email_verified_at", None) is not None
    )


def require_verified(user: Any) -> None:
    if getattr(user, "is_authenticated", False) and not email_verified(user):
        raise PermissionDenied(
            _(
                "Confirm your email address first: until then you cannot act for a group. "
                "Your account page sends the link."
            )
        )
