"""What the solidarity services share: limits, amounts, places, the clock."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organization
from places.models import Place
from solidarity.models import (
    Kind,
)

MAX_QUANTITY = Decimal("1000000000")


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _check_amounts(kind: str, quantity: Decimal | None, currency: str) -> str:
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose what kind of help this is.")
    if quantity is not None and not (Decimal(0) < quantity <= MAX_QUANTITY):
        errors["quantity"] = _("Give an amount above zero.")
    currency = (currency or "").strip().upper()
    if kind == Kind.MONEY and quantity is not None and len(currency) != 3:
        errors["currency"] = _("Give the currency as its three-letter code, such as USD.")
    if errors:
        raise ValidationError(errors)
    return currency if kind == Kind.MONEY else ""


def _place_fields(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {"place": None, "place_lft": None, "place_rgt": None}
    if place.is_overlay:
        raise ValidationError({"place": _("Give a place rather than a region.")})
    return {"place": place, "place_lft": place.lft, "place_rgt": place.rgt}


def _named(ids: Iterable[Organization]) -> list[Organization]:
    return [o for o in ids if isinstance(o, Organization)]
