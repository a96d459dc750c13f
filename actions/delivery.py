"""Fan-out and sending of alerts and notices: email over SMTP and signed webhooks.

Each recipient and channel is one Delivery row. A worker claims a chunk of rows with one
conditional UPDATE (pending → claimed, stamped with its own claim id and the time: a lease) and
only then sends what it claimed, a batch at a time: each batch is first marked "sending" (in
flight), then sent over one SMTP session, then marked sent with one UPDATE. A second worker, or
the same task run again, finds nothing left to claim, so nobody is sent a message twice. If a
worker dies, the recovery sweep hands its still-claimed rows back (they never left) and marks
the in-flight ones "uncertain": those may or may not have left, so they are never re-sent
automatically. Rows that certainly did not leave (the server refused the connection or answered
4xx) are retried with back-off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, quoprimime
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import OperationalError, connection
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone

from actions.links import private_host, site_url
from actions.models import (
    Alert,
    AlertKind,
    AlertState,
    Channel,
    CommitmentState,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionRange,
)
from actions.rollup import place_index
from directory.models import OrganizationAdmin

log = logging.getLogger(__name__)

CHUNK = 500
SENT_BATCH = 50
INSERT_BATCH = 2000
INSERT_ATTEMPTS = 8
MAX_ATTEMPTS = 5
# A claim older than this belongs to a worker that died.
LEASE = timedelta(minutes=15)
WEBHOOK_TIMEOUT = 10
UNSUBSCRIBE_SALT = "actions.unsubscribe"
SIGNATURE_HEADER = "X-Commonweal-Signature"
OPEN = [
    DeliveryStatus.PENDING,
    DeliveryStatus.RETRY,
    DeliveryStatus.CLAIMED,
    DeliveryStatus.SENDING,
]


def absolute_url(obj: Any) -> str:
    return site_url() + obj.get_absolute_url()


def unsubscribe_token(subscription_id: int) -> str:
    return signing.dumps(subscription_id, salt=UNSUBSCRIBE_SALT)


def unsubscribe_subscription_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(subscription_id: int) -> str:
    return site_url() + reverse("actions:unsubscribe", args=[unsubscribe_token(subscription_id)])


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": the timestamp is signed so replays can be refused."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# Fan-out ------------------------------------------------------------------------------------


def _alert_recipients(alert: Alert) -> Iterator[tuple[int | None, str, str]]:
    subs = Subscription.objects.filter(active=True)
    if alert.issue_mask:
        subs = subs.filter(
            Q(issue_mask=0) | Q(GreaterThan(F("issue_mask").bitand(alert.issue_mask), 0))
        )
    if alert.place is not None:
        ranges = place_index().ranges(alert.place)
        overlap = Q(pk__in=[])
        for lo, hi in ranges:
            overlap |= Q(lft__lte=hi, rgt__gte=lo)
        subs = subs.filter(
            Exists(SubscriptionRange.objects.filter(overlap, subscription=OuterRef("pk")))
        )
    for pk, email, webhook in (
        subs.order_by("pk")
        .values_list("pk", "email", "webhook_url")
        .iterator(chunk_size=INSERT_BATCH)
    ):
        if email:
            yield pk, Channel.EMAIL, email
        if webhook:
            yield pk, Channel.WEBHOOK, webhook


def _notice_recipients(alert: Alert) -> Iterator[tuple[int | None, str, str]]:
    emails = (
        OrganizationAdmin.objects.filter(
            organization__commitments__call_id=alert.call_id,
            organization__commitments__state=CommitmentState.ACTIVE,
            user__is_active=True,
        )
        .values_list("user__email", flat=True)
        .distinct()
        .order_by("user__email")
    )
    for email in emails:
        yield None, Channel.EMAIL, email


def fan_out(
    alert_id: int, on_chunk: Callable[[int, int], object] | None = None
) -> list[tuple[int, int]]:
    """Write one delivery row per recipient and channel; return id ranges to send in chunks.

    Each full chunk is handed to `on_chunk` as soon as its rows exist, so sending starts while
    the rest are still being written. Safe to run twice: the unique (alert, channel, address)
    constraint drops repeats, which also gives a person subscribed both for themselves and
    through a group one copy only.
    """
    alert = Alert.objects.select_related("place").get(pk=alert_id)
    recipients: Iterable[tuple[int | None, str, str]] = (
        _notice_recipients(alert) if alert.kind == AlertKind.NOTICE else _alert_recipients(alert)
    )
    if connection.vendor == "sqlite":
        # A SQLite read left open across the inserts pins its snapshot: once a sending worker
        # commits, this connection can never take the write lock ("database is locked" on every
        # retry). Read the recipients first; a hundred thousand rows are a few megabytes.
        recipients = list(recipients)
    chunks: list[tuple[int, int]] = []
    after = 0

    def hand_on(*, final: bool) -> None:
        nonlocal after
        ids = list(
            Delivery.objects.filter(alert_id=alert.pk, id__gt=after, status=DeliveryStatus.PENDING)
            .order_by("id")
            .values_list("id", flat=True)
        )
        ready = len(ids) if final else len(ids) - len(ids) % CHUNK
        for start in range(0, ready, CHUNK):
            chunk = (ids[start], ids[min(start + CHUNK, ready) - 1])
            chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(*chunk)
        if ready:
            after = ids[ready - 1]

    batch: list[Delivery] = []
    for sub_id, channel, address in recipients:
        batch.append(
            Delivery(alert_id=alert.pk, subscription_id=sub_id, channel=channel, address=address)
        )
        if len(batch) >= INSERT_BATCH:
            _insert(batch)
            batch = []
            hand_on(final=False)
    if batch:
        _insert(batch)
    hand_on(final=True)
    total = Delivery.objects.filter(alert=alert).count()
    Alert.objects.filter(pk=alert.pk).update(
        recipients=total,
        state=AlertState.SENDING if total else AlertState.DONE,
        fanned_out_at=timezone.now(),
    )
    # Every chunk may already have gone out while the alert was still being fanned out.
    alert_settle(alert.pk)
    return chunks


def _insert(batch: list[Delivery]) -> None:
    """Insert a batch of rows, waiting out a busy SQLite: with several workers polling the
    queue, a long insert can lose the race for the write lock past the driver's timeout.
    Repeating is safe: nothing of a failed batch was written, and repeats are ignored."""
    for attempt in range(INSERT_ATTEMPTS):
        try:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == INSERT_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def open_chunks(alert_id: int, *, now: datetime | None = None) -> list[tuple[int, int]]:
    """Id ranges of CHUNK rows each that still have something claimable in them."""
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(alert_id=alert_id)
        .filter(
            Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.RETRY, retry_after__lte=now)
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [(ids[i], ids[min(i + CHUNK, len(ids)) - 1]) for i in range(0, len(ids), CHUNK)]


# Sending ------------------------------------------------------------------------------------


@dataclass
class ChunkResult:
    # When the chunk was claimed: every retry of the chunk is due at the same moment.
    started: datetime = field(default_factory=timezone.now)
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    retry_at: datetime | None = None

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


def _claim(alert_id: int, first_id: int, last_id: int, now: datetime) -> tuple[uuid.UUID, int]:
    claim = uuid.uuid4()
    claimed = (
        Delivery.objects.filter(alert_id=alert_id, id__gte=first_id, id__lte=last_id)
        .filter(
            Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.RETRY, retry_after__lte=now)
        )
        .update(
            status=DeliveryStatus.CLAIMED,
            claim=claim,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )
    return claim, claimed


def _in_flight(rows: list[Delivery], claim: uuid.UUID) -> list[Delivery]:
    """Mark rows as handed to the mail server from now on; returns those still ours.

    A worker slower than the lease may have had its rows handed to another worker by the
    recovery sweep: the claim id in the UPDATE leaves those alone, and they are not sent.
    """
    if not rows:
        return []
    ids = [row.pk for row in rows]
    moved = Delivery.objects.filter(pk__in=ids, claim=claim, status=DeliveryStatus.CLAIMED).update(
        status=DeliveryStatus.SENDING
    )
    if moved == len(ids):
        return rows
    ours = set(
        Delivery.objects.filter(pk__in=ids, claim=claim, status=DeliveryStatus.SENDING).values_list(
            "pk", flat=True
        )
    )
    return [row for row in rows if row.pk in ours]


def _finish(row: Delivery, claim: uuid.UUID, status: str, error: str, result: ChunkResult) -> None:
    fields: dict[str, Any] = {"status": status, "last_error": error[:500]}
    now = timezone.now()
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = now
    if status == DeliveryStatus.RETRY:
        if row.attempts >= MAX_ATTEMPTS:
            fields["status"] = status = DeliveryStatus.FAILED
        else:
            # One minute, then 2, 4, 8: long enough for a mail server to come back.
            fields["retry_after"] = result.started + timedelta(minutes=2 ** (row.attempts - 1))
            if result.retry_at is None or fields["retry_after"] < result.retry_at:
                result.retry_at = fields["retry_after"]
    # Only the holder of the claim may settle the row (the recovery sweep may have taken it).
    Delivery.objects.filter(pk=row.pk, claim=claim).update(**fields)
    result.add(status)


class _SentMarks:
    """Marks sent rows in batches: one UPDATE per SENT_BATCH messages instead of one each.

    If a worker dies between sending and flushing, those rows stay "sending" and are later
    marked uncertain, never resent: the batch size bounds how many can end up that way.
    """

    def __init__(self, claim: uuid.UUID, result: ChunkResult) -> None:
        self.claim, self.result = claim, result
        self.ids: list[int] = []

    def add(self, row: Delivery) -> None:
        self.ids.append(row.pk)
        self.result.add(DeliveryStatus.SENT)
        if len(self.ids) >= SENT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.ids:
            Delivery.objects.filter(pk__in=self.ids, claim=self.claim).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            self.ids = []


def _domain() -> str:
    sender = str(getattr(settings, "DEFAULT_FROM_EMAIL", "hub@localhost"))
    return sender.rsplit("@", 1)[-1].strip(">") or "localhost"


@dataclass
class _Envelope:
    """What every message of one chunk shares, encoded once."""

    sender: str
    from_header: str
    subject: str
    date: str
    domain: str
    notice_reason: str

    @classmethod
    def of(cls, alert: Alert) -> _Envelope:
        from_header = str(settings.DEFAULT_FROM_EMAIL)
        subject = " ".join(alert.subject.split())
        return cls(
            sender=parseaddr(from_header)[1] or from_header,
            from_header=from_header if from_header.isascii() else str(Header(from_header, "utf-8")),
            subject=subject if subject.isascii() else Header(subject, "utf-8").encode(),
            date=formatdate(usegmt=True),
            domain=_domain(),
            # Assemblies send their round notices through these rows too, with no call.
            notice_reason=(
                "You receive this because your group committed to this call."
                if alert.call_id
                else "You receive this because you take part in an assembly on this hub."
            ),
        )


_QP = Charset("utf-8")
_QP.body_encoding = QP
# No folding: a folded List-Unsubscribe URL is useless to mail clients (RFC 5322 allows 998).
_UNFOLDED = compat32.clone(max_line_length=0)


def _django_email(alert: Alert, row: Delivery, env: _Envelope) -> EmailMessage:
    parsed = message_from_bytes(email_bytes(alert, row, env))
    headers = {
        k: v
        for k, v in parsed.items()
        if k
        not in (
            "From",
            "To",
            "Subject",
            "Content-Type",
            "MIME-Version",
            "Content-Transfer-Encoding",
        )
    }
    payload = parsed.get_payload(decode=True)
    body = payload.decode("utf-8") if isinstance(payload, bytes) else alert.body
    return EmailMessage(alert.subject, body, env.from_header, [row.address], headers=headers)


def email_bytes(alert: Alert, row: Delivery, env: _Envelope) -> bytes:
    """One recipient's message. Built with the standard library's classic MIME classes, which
    are many times faster than the header-registry API at 100,000 messages."""
    if row.subscription_id:
        url = unsubscribe_url(row.subscription_id)
        footer = (
            "\n\n--\nYou receive this because you opted in to alerts on this hub.\n"
            f"Stop these alerts: {url}\n"
        )
    else:
        url, footer = "", f"\n\n--\n{env.notice_reason}\n"
    # The stubs say str, but the classic API takes a Charset, which is how QP is chosen.
    msg = MIMEText(alert.body + footer, "plain", _QP)  # type: ignore[arg-type]
    msg["From"] = env.from_header
    msg["To"] = row.address
    msg["Subject"] = env.subject
    msg["Date"] = env.date
    msg["Message-ID"] = f"<{row.key}@{env.domain}>"
    msg["X-Commonweal-Delivery"] = str(row.key)
    if url:
        msg["List-Unsubscribe"] = f"<{url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg.as_bytes(policy=_UNFOLDED)


class _Template:
    """One alert's email with the per-recipient parts left open: the common headers and the
    quoted-printable body are encoded once per chunk, so each message is a few joins instead
    of a MIME build. Gives the same message as `email_bytes` (a test compares them)."""

    def __init__(self, alert: Alert, env: _Envelope) -> None:
        from_header = env.from_header
        if not from_header.isascii():
            from_header = Header(str(settings.DEFAULT_FROM_EMAIL), "utf-8").encode()
        self.head = (
            'Content-Type: text/plain; charset="utf-8"\n'
            "MIME-Version: 1.0\n"
            "Content-Transfer-Encoding: quoted-printable\n"
            f"From: {from_header}\n"
        ).encode()
        self.middle = f"Subject: {env.subject}\nDate: {env.date}\n".encode()
        self.domain = env.domain
        # Quoted-printable works line by line, so the shared text (up to and including its
        # last line break) encodes on its own and the footer is encoded per recipient.
        self.body = _qp(alert.body + "\n")
        self.notice_footer = _qp(f"\n--\n{env.notice_reason}\n")
        marker = "0"
        path = reverse("actions:unsubscribe", args=[marker])
        self.unsubscribe_prefix, self.unsubscribe_suffix = path.rsplit(marker, 1)
        self.unsubscribe_prefix = site_url() + self.unsubscribe_prefix

    def render(self, row: Delivery) -> bytes | None:
        """The message for one row, or None where only the full MIME build is safe."""
        address = row.address
        if not address.isascii() or "\n" in address or "\r" in address:
            return None
        key = str(row.key)
        parts = [self.head, f"To: {address}\n".encode(), self.middle]
        parts.append(f"Message-ID: <{key}@{self.domain}>\nX-Commonweal-Delivery: {key}\n".encode())
        if row.subscription_id:
            url = (
                self.unsubscribe_prefix
                + unsubscribe_token(row.subscription_id)
                + self.unsubscribe_suffix
            )
            parts.append(
                f"List-Unsubscribe: <{url}>\n"
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n\n".encode()
            )
            parts.append(self.body)
            parts.append(
                _qp(
                    "\n--\nYou receive this because you opted in to alerts on this hub.\n"
                    f"Stop these alerts: {url}\n"
                )
            )
        else:
            parts += [b"\n", self.body, self.notice_footer]
        return b"".join(parts)


def _qp(text: str) -> bytes:
    # As the classic MIME classes do it: UTF-8 bytes, each byte one character to the encoder.
    return quoprimime.body_encode(text.encode("utf-8").decode("latin-1")).encode("ascii")


def _send_emails(alert: Alert, rows: list[Delivery], claim: uuid.UUID, result: ChunkResult) -> None:
    """Send a chunk's emails over one SMTP session, SENT_BATCH at a time: a batch is marked in
    flight before its first message leaves and marked sent after its last. Nothing here catches
    a worker being killed: whatever batch was in flight stays "sending" for the sweep."""
    # Alerts keep their own per-recipient delivery rows and retries, so they go straight to the
    # mail server when one is set up ("relay"), not through the outbox one message at a time.
    connection = mailers["relay"] if "relay" in settings.MAILERS else mailers.default
    env = _Envelope.of(alert)
    template = _Template(alert, env)
    try:
        for start in range(0, len(rows), SENT_BATCH):
            pending = _in_flight(rows[start : start + SENT_BATCH], claim)
            sent = _SentMarks(claim, result)
            while pending:
                try:
                    connection.open()
                except OSError as exc:
                    # Nothing in `pending` or later has left: safe to try again later.
                    for row in pending + rows[start + SENT_BATCH :]:
                        _finish(row, claim, DeliveryStatus.RETRY, f"mail server: {exc}", result)
                    sent.flush()
                    return
                row = pending.pop(0)
                _send_email(connection, alert, row, env, template, claim, result, sent)
            sent.flush()
    finally:
        connection.close()


def _send_email(
    connection: Any,
    alert: Alert,
    row: Delivery,
    env: _Envelope,
    template: _Template,
    claim: uuid.UUID,
    result: ChunkResult,
    sent: _SentMarks,
) -> None:
    try:
        smtp = getattr(connection, "connection", None)
        if isinstance(connection, SMTPBackend) and smtp is not None:
            # Django's backend (MAILERS) holds the SMTP session; the message is pre-built.
            message = template.render(row) or email_bytes(alert, row, env)
            smtp.sendmail(env.sender, [row.address], message)
        else:
            # Console, file or in-memory backends (development), or the outbox: the ordinary way.
            email = _django_email(alert, row, env)
            connection.send_messages([email])
            if getattr(getattr(email, "outbox_record", None), "state", "") == "held":
                # No mail server is set up: the message waits in the outbox and reached nobody.
                reason = "kept in the outbox: no mail server is set up"
                _finish(row, claim, DeliveryStatus.FAILED, reason, result)
                return
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        status = DeliveryStatus.RETRY if codes and min(codes) < 500 else DeliveryStatus.FAILED
        _finish(row, claim, status, f"refused: {codes}", result)
    except smtplib.SMTPResponseException as exc:
        # The server answered and did not take the message.
        status = DeliveryStatus.RETRY if exc.smtp_code < 500 else DeliveryStatus.FAILED
        _finish(row, claim, status, f"{exc.smtp_code} {exc.smtp_error!r}", result)
        if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
            connection.close()
    except (smtplib.SMTPException, OSError) as exc:
        # The line dropped while sending: the message may have gone. Never resend it
        # blindly; the delivery page shows it for a person to decide.
        _finish(row, claim, DeliveryStatus.UNCERTAIN, f"connection lost: {exc}", result)
        connection.close()
    else:
        sent.add(row)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def webhook_payload(alert: Alert, row: Delivery) -> dict[str, Any]:
    return {
        "id": str(row.key),
        "type": f"commonweal.{alert.kind}",
        "created": timezone.now().isoformat(),
        "alert": {
            "subject": alert.subject,
            "body": alert.body,
            "issue_areas": [a.slug for a in alert.issue_areas.all()],
            "place": alert.place.slug if alert.place else None,
            "call": absolute_url(alert.call) if alert.call else None,
        },
        "unsubscribe_url": unsubscribe_url(row.subscription_id) if row.subscription_id else None,
    }


def _send_webhooks(
    alert: Alert, rows: list[Delivery], claim: uuid.UUID, result: ChunkResult
) -> None:
    allow_private = bool(getattr(settings, "ACTIONS_WEBHOOK_ALLOW_PRIVATE", False))
    for row in _in_flight(rows, claim):
        sub = row.subscription
        host = urllib.parse.urlsplit(row.address).hostname or ""
        if sub is None or (not allow_private and private_host(host)):
            _finish(row, claim, DeliveryStatus.FAILED, "address not allowed", result)
            continue
        body = json.dumps(webhook_payload(alert, row), separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - scheme checked on subscription
            row.address,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Commonweal-Webhook/1",
                "X-Commonweal-Delivery": str(row.key),
                "X-Commonweal-Timestamp": stamp,
                SIGNATURE_HEADER: sign_webhook(sub.webhook_secret, stamp, body),
            },
        )
        try:
            with _opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                response.read(1024)
        except urllib.error.HTTPError as exc:
            retry = exc.code in (408, 429) or exc.code >= 500
            _finish(
                row,
                claim,
                DeliveryStatus.RETRY if retry else DeliveryStatus.FAILED,
                f"HTTP {exc.code}",
                result,
            )
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                _finish(row, claim, DeliveryStatus.UNCERTAIN, "timed out", result)
            else:
                _finish(row, claim, DeliveryStatus.RETRY, f"unreachable: {exc.reason}", result)
        except TimeoutError:
            _finish(row, claim, DeliveryStatus.UNCERTAIN, "timed out", result)
        except OSError as exc:
            _finish(row, claim, DeliveryStatus.UNCERTAIN, f"connection lost: {exc}", result)
        else:
            _finish(row, claim, DeliveryStatus.SENT, "", result)


def send_chunk(
    alert_id: int, first_id: int, last_id: int, *, now: datetime | None = None
) -> ChunkResult:
    """Claim and send the open deliveries of one id range."""
    now = now or timezone.now()
    result = ChunkResult(started=now)
    claim, result.claimed = _claim(alert_id, first_id, last_id, now)
    if not result.claimed:
        return result
    alert = Alert.objects.select_related("place", "call").get(pk=alert_id)
    rows = list(Delivery.objects.filter(claim=claim).select_related("subscription").order_by("id"))
    live: list[Delivery] = []
    for row in rows:
        if row.subscription is not None and not row.subscription.active:
            _finish(row, claim, DeliveryStatus.SKIPPED, "unsubscribed", result)
        else:
            live.append(row)
    _send_emails(alert, [r for r in live if r.channel == Channel.EMAIL], claim, result)
    _send_webhooks(alert, [r for r in live if r.channel == Channel.WEBHOOK], claim, result)
    alert_settle(alert_id)
    return result


def alert_settle(alert_id: int) -> bool:
    """Mark an alert done once none of its deliveries is waiting or in flight."""
    if Delivery.objects.filter(alert_id=alert_id, status__in=OPEN).exists():
        return False
    return bool(
        Alert.objects.filter(pk=alert_id, state=AlertState.SENDING).update(state=AlertState.DONE)
    )


def stale_claims_settle(*, now: datetime) -> int:
    """Rows of a worker whose lease ran out: hand back what it had not started to send, and
    mark what was in flight uncertain (never resent on our own). Returns the uncertain ones."""
    expired = Delivery.objects.filter(claimed_at__lt=now - LEASE)
    expired.filter(status=DeliveryStatus.CLAIMED).update(
        status=DeliveryStatus.PENDING, claim=None, claimed_at=None
    )
    return expired.filter(status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.UNCERTAIN, last_error="the worker stopped while sending"
    )


def delivery_counts(alert: Alert) -> dict[str, int]:
    from django.db.models import Count

    rows = Delivery.objects.filter(alert=alert).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
