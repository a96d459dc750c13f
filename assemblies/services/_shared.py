"""What the assembly services share: clean text and the locked re-read of a row."""

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def text(value: str, *, limit: int, field: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("Keep it under %(n)d characters.") % {"n": limit}})
    return value


def voter_key(question_id: int, who: str) -> str:
    """A keyed hash naming one voter (or group) on one question: stable, so a vote can be
    changed and never doubled, and meaningless without the hub's secret key."""
    message = f"{question_id}:{who}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def user_key(question_id: int, user: Any) -> str:
    return voter_key(question_id, f"u{user.pk}")


def group_key(question_id: int, organization: Any) -> str:
    return voter_key(question_id, f"g{organization.pk}")
