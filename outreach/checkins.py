"""The periodic check-in: each listed group's admins are asked "still active? anything
changed?" one interval after the listing was last confirmed (or listed), by mail and in their
notices, with a signed link that confirms on one click (directory/views_checkin.py).

Run by the worker's tick (commonweal/management/commands/worker.py). Each batch claims its
listings by setting `checkin_at` in the same transaction as the mail and notices it records,
so a listing is asked at most once per interval however often, or in how many processes, the
chore runs. Listings without admins are claimed the same way and left to the coordinators'
stale list (outreach/views_stale.py): nobody is mailed on their behalf.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coalitions.models import Notice
from directory import freshness
from directory.models import Organization, OrganizationAdmin
from outbox.services import mail_send

BATCH = 200
# Per run, so one tick after a large import never holds the worker for long; the rest wait
# for the next tick.
MAX_PER_RUN = 1_000


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL or 'http://localhost:8000'}{path}"


def _ask(org: Organization, admins: list[Any]) -> None:
    edit = _absolute(reverse("outreach:listing_edit", args=[org.slug]))
    subject = _("Is %(name)s still active?") % {"name": org.name}
    for person in admins:
        path = reverse("directory:checkin", args=[freshness.checkin_token(org, person)])
        body = _(
            "You look after the listing of %(name)s on %(site)s. Is the group still active, "
            "and is its listing still right?\n\n"
            "Answer here (one click on the page; opening the link changes nothing):\n%(link)s\n\n"
            "Something changed? Edit the listing:\n%(edit)s\n\n"
            "If the group has stopped, the same page lets you say so: the listing is then "
            "marked inactive, not deleted. The link works for %(days)s days."
        ) % {
            "name": org.name,
            "site": settings.SITE_NAME,
            "link": _absolute(path),
            "edit": edit,
            "days": freshness.link_max_age().days,
        }
        Notice.objects.create(user=person, text=subject[:500], url=path[:300])
        mail_send(to=person.email, subject=subject[:150], body=body, purpose="checkin")


def checkins_send(
    *, now: datetime | None = None, batch: int = BATCH, limit: int = MAX_PER_RUN
) -> dict[str, int]:
    """Ask the admins of every listing whose check-in is due. Returns how many listings were
    asked, and how many had nobody to ask."""
    now = now or timezone.now()
    asked = unattended = 0
    while asked + unattended < limit:
        with transaction.atomic():
            due = freshness.due_for_checkin(now)
            if connection.features.has_select_for_update_skip_locked:
                # Two workers' chores take different listings rather than the same ones.
                due = due.select_for_update(skip_locked=True, of=("self",))
            ids = list(due.values_list("id", flat=True)[: min(batch, limit - asked - unattended)])
            if not ids:
                break
            # The claim: these listings leave the due range until the next interval.
            Organization.objects.filter(pk__in=ids).update(checkin_at=now)
            people: dict[int, list[Any]] = defaultdict(list)
            for link in OrganizationAdmin.objects.filter(
                organization_id__in=ids, user__is_active=True
            ).select_related("user"):
                people[link.organization_id].append(link.user)
            orgs = Organization.objects.filter(pk__in=list(people)).order_by("id")
            for org in orgs:
                _ask(org, sorted(people[org.pk], key=lambda p: p.pk))
            asked += len(people)
            unattended += len(ids) - len(people)
    return {"asked": asked, "unattended": unattended}
