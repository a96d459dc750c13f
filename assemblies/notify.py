"""Telling an assembly's members that a round opened or closed, and telling the few people a
step concerns (a block to answer) directly.

The audience is every admin of the holding organization and of its member groups, and every
person taking part in their own name: up to a hundred thousand people. Each announcement is one
row; a background task writes the in-hub notices and the alerts' delivery rows in batches
(actions/delivery.py then claims, sends and retries the mail), so nothing is sent twice and
nothing is lost when a worker stops halfway.
"""

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from actions import tasks as action_tasks
from actions.delivery import _insert, alert_settle, open_chunks
from actions.models import Alert, AlertKind, AlertState, Channel, Delivery
from assemblies.models import Announcement, Assembly, AssemblyPerson
from coalitions.models import Membership, Notice
from directory.models import OrganizationAdmin

BATCH = 2000
STALL = timedelta(minutes=10)


def _absolute(url: str) -> str:
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if base else url


def audience_q(assembly: Assembly) -> Q:
    groups = Membership.objects.active().filter(coalition_id=assembly.organization_id)
    admins = OrganizationAdmin.objects.filter(
        Q(organization_id=assembly.organization_id)
        | Q(organization_id__in=groups.values("member_id"))
    )
    persons = AssemblyPerson.objects.filter(assembly=assembly)
    return Q(pk__in=admins.values("user_id")) | Q(pk__in=persons.values("user_id"))


def audience(assembly: Assembly) -> Iterator[tuple[int, str]]:
    return (
        User.objects.filter(audience_q(assembly), is_active=True)
        .order_by("pk")
        .values_list("pk", "email")
        .iterator(chunk_size=BATCH)
    )


def members_tell(*, assembly: Assembly, subject: str, text: str, url: str) -> Announcement:
    """Record an announcement and fan it out once the caller's transaction commits."""
    from assemblies import tasks

    announcement = Announcement.objects.create(
        assembly=assembly, subject=subject[:200], text=text, url=url
    )
    transaction.on_commit(lambda: tasks.announcement_fan_out.enqueue(announcement.pk))
    return announcement


def fan_out(announcement_id: int) -> int:
    """Write the notices and delivery rows not yet written, then queue the sending."""
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement_id)
        if announcement.fanned_out_at is not None:
            return announcement.recipients
        if announcement.alert_id is None:
            # SENDING from the start: the alerts' own recovery re-fans only queued alerts, and
            # must never count this one's audience by its call-based rule.
            announcement.alert = Alert.objects.create(
                kind=AlertKind.NOTICE,
                subject=announcement.subject,
                body=f"{announcement.text}\n\n{_absolute(announcement.url)}",
                state=AlertState.SENDING,
            )
            announcement.save(update_fields=["alert"])
    alert_id = announcement.alert_id
    assert alert_id is not None
    rows = [r for r in audience(announcement.assembly) if r[0] > announcement.done_through_user]
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        with transaction.atomic():
            Notice.objects.bulk_create(
                Notice(user_id=pk, text=announcement.subject[:500], url=announcement.url)
                for pk, _email in batch
            )
            _insert(
                [Delivery(alert_id=alert_id, channel=Channel.EMAIL, address=e) for _p, e in batch]
            )
            Announcement.objects.filter(pk=announcement.pk).update(done_through_user=batch[-1][0])
    total = Delivery.objects.filter(alert_id=alert_id).count()
    now = timezone.now()
    Alert.objects.filter(pk=alert_id).update(
        recipients=total, state=AlertState.SENDING, fanned_out_at=now
    )
    Announcement.objects.filter(pk=announcement.pk).update(recipients=total, fanned_out_at=now)
    for first, last in open_chunks(alert_id):
        action_tasks.deliveries_send.enqueue(alert_id, first, last)
    alert_settle(alert_id)
    return total


def announcements_recover(*, now: Any = None) -> int:
    """Queue again the fan-outs whose task was lost (called by the worker's tick)."""
    from assemblies import tasks

    now = now or timezone.now()
    stalled = Announcement.objects.filter(fanned_out_at__isnull=True, created_at__lt=now - STALL)
    count = 0
    for pk in stalled.values_list("pk", flat=True):
        tasks.announcement_fan_out.enqueue(pk)
        count += 1
    return count


def people_tell(*, users: Iterable[Any], text: str, url: str, exclude: Any = None) -> int:
    """A notice and a mail for each of a few people (a block's author, a proposal's author)."""
    seen: dict[int, Any] = {}
    for person in users:
        if person is None or not person.is_active:
            continue
        if exclude is not None and person.pk == getattr(exclude, "pk", None):
            continue
        seen[person.pk] = person
    for person in seen.values():
        Notice.objects.create(user=person, text=text[:500], url=url)
        send_mail(
            subject=text[:150],
            message=f"{text}\n\n{_absolute(url)}",
            from_email=None,
            recipient_list=[person.email],
        )
    return len(seen)
