"""Every write to the outbox: recording a message, trying to deliver it, trying again.

A message is recorded in the sender's transaction, so it exists exactly when what it speaks of
(a claim link, a new account) does. Delivery starts only after that transaction commits: the
first attempt in the same request, so the page can say honestly whether the mail left, and
later attempts on the background worker with growing pauses.
"""

import logging
import os
import smtplib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from outbox.models import MessageState, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Pauses before the 2nd, 3rd, … attempt: a mail server that is down for an hour or a night
# still gets every message once it is back.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
]
# A message "being sent" for longer than this belongs to a worker that died.
STALE_SENDING = timedelta(minutes=15)
RELAY = "relay"


def relaying() -> bool:
    """Whether the hub hands mail to a mail server (MAILERS["relay"]) or only keeps it."""
    return RELAY in settings.MAILERS


def outbox_dir() -> Path:
    return Path(getattr(settings, "OUTBOX_DIR", Path(settings.VAR_DIR) / "outbox"))


def _body_of(message: EmailMessage) -> str:
    return str(message.body or "")


def message_record(*, message: EmailMessage, purpose: str = "") -> OutboxMessage:
    """Keep one message (called by the outbox backend) and arrange its delivery after commit."""
    recipients = [str(r) for r in message.recipients()]
    record = OutboxMessage.objects.create(
        purpose=purpose[:40],
        recipient=recipients[0].strip().lower()[:254],
        recipients=recipients,
        from_email=str(message.from_email or settings.DEFAULT_FROM_EMAIL),
        subject=str(message.subject)[:998],
        body=_body_of(message),
        raw=message.message().as_bytes(),
        state=MessageState.QUEUED if relaying() else MessageState.HELD,
    )
    if record.state == MessageState.HELD:
        transaction.on_commit(lambda: _write_file(record))
    else:
        transaction.on_commit(lambda: _first_attempt(record))
    return record


def _write_file(record: OutboxMessage) -> None:
    """A copy under var/outbox/ for whoever runs the hub from a shell. Readable by its owner
    only: these messages carry sign-in and claim links."""
    folder = outbox_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"{record.created_at:%Y%m%d-%H%M%S}-{record.pk}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(record.raw))
    except OSError as error:  # the copy in the database is the one that counts
        log.warning("Could not write %s to the outbox folder: %s", record.pk, error)


def _first_attempt(record: OutboxMessage) -> None:
    try:
        message_deliver(message_id=record.pk)
    except Exception:  # never let a mail problem break the page that sent it
        log.exception("Delivering outbox message %s failed", record.pk)
    record.refresh_from_db()


def _permanent(error: Exception) -> bool:
    """The server answered that this message will never be taken (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and min(codes) >= 500
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def message_deliver(*, message_id: int, now: datetime | None = None) -> str:
    """One attempt to hand a queued message to the relay; returns its state afterwards.

    The row is claimed with one conditional UPDATE first, so two workers (or a worker and a
    coordinator's "try again") never send it twice at once.
    """
    from outbox.backends import StoredMessage

    now = now or timezone.now()
    due = Q(state__in=[MessageState.QUEUED, MessageState.RETRYING]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    claimed = OutboxMessage.objects.filter(due, pk=message_id).update(
        state=MessageState.SENDING, attempts=F("attempts") + 1, next_attempt_at=now
    )
    record = OutboxMessage.objects.get(pk=message_id)
    if not claimed:
        return str(record.state)
    if not relaying():
        OutboxMessage.objects.filter(pk=record.pk).update(state=MessageState.HELD)
        return MessageState.HELD
    stored = StoredMessage(
        raw=bytes(record.raw), from_email=record.from_email, recipients=list(record.recipients)
    )
    try:
        taken = mailers[RELAY].send_messages([stored])
        if not taken:
            raise smtplib.SMTPException(_("The mail server did not take the message."))
    except Exception as error:
        return _failed(record, error, now)
    OutboxMessage.objects.filter(pk=record.pk).update(
        state=MessageState.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return MessageState.SENT


def _failed(record: OutboxMessage, error: Exception, now: datetime) -> str:
    # A line that dropped mid-message may have delivered it; sending again risks a duplicate,
    # which for a sign-in or claim link is far better than the person never getting one.
    reason = f"{type(error).__name__}: {error}"[:500]
    if _permanent(error) or record.attempts >= MAX_ATTEMPTS:
        OutboxMessage.objects.filter(pk=record.pk).update(
            state=MessageState.FAILED, last_error=reason, next_attempt_at=None
        )
        log.warning("Outbox message %s failed for good: %s", record.pk, reason)
        return MessageState.FAILED
    when = now + BACKOFF[min(record.attempts, len(BACKOFF)) - 1]
    OutboxMessage.objects.filter(pk=record.pk).update(
        state=MessageState.RETRYING, last_error=reason, next_attempt_at=when
    )
    _enqueue(record.pk, when)
    return MessageState.RETRYING


def _enqueue(message_id: int, when: datetime | None) -> None:
    from outbox.tasks import message_deliver_later

    task = message_deliver_later.using(run_after=when) if when else message_deliver_later
    task.enqueue(message_id)


@transaction.atomic
def message_retry(*, user: Any, message: OutboxMessage) -> OutboxMessage:
    """A site coordinator sends a message again now: one that failed, one waiting for its next
    attempt, one stuck "being sent", or one held before a mail server was set up."""
    if not getattr(user, "is_site_coordinator", False):
        raise PermissionDenied(_("Only site coordinators handle the outbox."))
    if not relaying():
        raise ValidationError(
            {"message": _("No mail server is set up yet, so there is nowhere to send it.")}
        )
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    stale = message.state == MessageState.SENDING and (
        message.next_attempt_at is None or message.next_attempt_at < timezone.now() - STALE_SENDING
    )
    if message.state not in (MessageState.FAILED, MessageState.RETRYING, MessageState.HELD) and (
        not stale
    ):
        raise ValidationError({"message": _("This message is not waiting to be sent again.")})
    message.state, message.next_attempt_at = MessageState.QUEUED, None
    if message.attempts >= MAX_ATTEMPTS:
        message.attempts = MAX_ATTEMPTS - 1  # one more try, and failing again ends it
    message.save(update_fields=["state", "next_attempt_at", "attempts"])
    audit_record(actor=user, action="outbox.retry", target=message)
    pk = message.pk
    transaction.on_commit(lambda: _first_attempt(OutboxMessage.objects.get(pk=pk)))
    return message


def mail_send(*, to: str, subject: str, body: str, purpose: str) -> OutboxMessage | None:
    """Send one plain-text message through the default mailer. Returns its outbox record,
    or None when the hub is configured to send mail some other way (tests use memory)."""
    message = EmailMessage(subject=subject, body=body, to=[to])
    message.outbox_purpose = purpose  # type: ignore[attr-defined]
    mailers.default.send_messages([message])
    return getattr(message, "outbox_record", None)


def outbox_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Pick up messages whose retry task was lost (a queue flushed, a worker killed mid-send):
    run every few minutes (`commonweal outbox sweep`). Re-queuing is harmless if the task was
    merely slow, as each attempt claims its message first."""
    now = now or timezone.now()
    stuck = OutboxMessage.objects.filter(
        state=MessageState.SENDING, next_attempt_at__lt=now - STALE_SENDING
    ).update(state=MessageState.RETRYING, next_attempt_at=now)
    due = list(
        OutboxMessage.objects.filter(
            state__in=[MessageState.QUEUED, MessageState.RETRYING],
            next_attempt_at__lte=now - STALE_SENDING,
        ).values_list("pk", flat=True)
    ) + list(
        OutboxMessage.objects.filter(
            state=MessageState.QUEUED,
            next_attempt_at__isnull=True,
            created_at__lte=now - STALE_SENDING,
        ).values_list("pk", flat=True)
    )
    for pk in due:
        _enqueue(pk, None)
    return {"stuck": stuck, "requeued": len(due)}
