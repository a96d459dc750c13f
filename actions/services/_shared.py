"""What the action services share: limits, the clock, issue areas as bits, notices to committed groups."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from actions import tasks
from actions.models import (
    Alert,
    AlertKind,
    CallToAction,
)
from directory.models import IssueArea

# A range that holds every tree position: subscriptions without a place match everywhere.
EVERYWHERE = (0, 2**31 - 1)
# After this long without a day of action ending, commitments to a call that went stop.
DEFAULT_WINDOW = timedelta(days=1)
MAX_TURNOUT = 10_000_000


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _issue_areas(items: Iterable[IssueArea | str], field: str = "issue_areas") -> list[IssueArea]:
    areas: list[IssueArea] = []
    slugs: list[str] = []
    for item in items:
        (areas.append(item) if isinstance(item, IssueArea) else slugs.append(item))
    if slugs:
        found = {a.slug: a for a in IssueArea.objects.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise ValidationError({field: f"Unknown issue areas: {', '.join(missing)}."})
        areas.extend(found[s] for s in slugs)
    return areas


def _mask(areas: Iterable[IssueArea]) -> int:
    mask = 0
    for area in areas:
        mask |= 1 << area.bit
    return mask


def _notice(call: CallToAction, subject: str, body: str) -> Alert:
    """Tell every group committed to a call, by email to its admins, in the background."""
    alert = Alert.objects.create(kind=AlertKind.NOTICE, subject=subject, body=body, call=call)
    tasks.fan_out_later(alert.pk)
    return alert
