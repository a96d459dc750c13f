"""Telling the admins of a group what another group did: a line in their notice list and a mail.

Services call `notify_admins` in the same transaction as the change it reports, so a notice
and its mail exist exactly when the change does: `send_mail` writes into the hub's outbox,
which relays after the commit and retries, so a mail server that is down never undoes a
membership step.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from coalitions.models import Notice
from directory.models import Organization

MAX_NOTICES_SHOWN = 200


def _admins(org: Organization, exclude: Any) -> list[User]:
    people = User.objects.filter(organization_roles__organization=org, is_active=True)
    if exclude is not None and getattr(exclude, "pk", None) is not None:
        people = people.exclude(pk=exclude.pk)
    return list(people.order_by("pk"))


def _absolute(url: str) -> str:
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if base else url


def notify_admins(
    *, orgs: Iterable[Organization], text: str, url: str, body: str = "", exclude: Any = None
) -> int:
    """One notice per admin of `orgs` (the person who acted left out), and one mail each.

    Returns the number of people told.
    """
    people: dict[int, User] = {}
    for org in orgs:
        for person in _admins(org, exclude):
            people[person.pk] = person
    if not people:
        return 0
    Notice.objects.bulk_create(Notice(user=p, text=text[:500], url=url) for p in people.values())
    message = "\n\n".join(part for part in (text, body, _absolute(url)) if part)
    for person in people.values():
        # One mail per person so that nobody sees another admin's address.
        send_mail(
            subject=text[:150],
            message=message,
            from_email=None,
            recipient_list=[person.email],
        )
    return len(people)


def notices_for_user(user: Any) -> QuerySet[Notice]:
    """The person's own notices, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notice.objects.none()
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


@transaction.atomic
def notices_mark_read(*, user: Any) -> int:
    """Mark every unread notice of the person as read. Touches only their own."""
    return notices_for_user(user).filter(read_at__isnull=True).update(read_at=timezone.now())
