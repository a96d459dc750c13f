"""Reads of the outbox: only site coordinators see messages; anyone may learn whether mail is
being delivered at all (the pages say so instead of "check your email")."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from outbox.models import MessageState, OutboxMessage
from outbox.services import relaying


def _require_site_coordinator(user: Any) -> None:
    if not getattr(user, "is_site_coordinator", False):
        raise PermissionDenied(_("Only site coordinators read the outbox."))


def messages_for_user(user: Any, *, state: str = "") -> QuerySet[OutboxMessage]:
    _require_site_coordinator(user)
    messages = OutboxMessage.objects.defer("raw", "body")
    if state == "undelivered":
        return messages.exclude(state=MessageState.SENT)
    if state in MessageState.values:
        return messages.filter(state=state)
    return messages


def get_message_for_user(user: Any, pk: int) -> OutboxMessage:
    _require_site_coordinator(user)
    return get_object_or_404(OutboxMessage, pk=pk)


def undelivered_count() -> int:
    """Messages the hub tried to send and could not (yet): the banner's number."""
    return OutboxMessage.objects.filter(
        state__in=[MessageState.RETRYING, MessageState.FAILED]
    ).count()


def delivery_state(record: OutboxMessage | None) -> str:
    """How a message just sent fared: one of the MessageState values, or "direct" when the hub
    hands mail to a backend that keeps no outbox (then that backend's word is all we have)."""
    if record is None:
        return "direct"
    record.refresh_from_db(fields=["state"])
    return str(record.state)


def held() -> bool:
    """True when no mail server is set up: messages stay in the outbox."""
    from django.conf import settings

    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    return backend == "outbox.backends.OutboxBackend" and not relaying()


def delivery_sentence(state: str) -> str:
    """What a page says after sending a message that did not simply leave; empty if it did."""
    if state == MessageState.HELD:
        return _(
            "This hub is not sending email yet, so the message cannot reach the inbox. It waits "
            "in the hub's outbox, where a site coordinator can read it and pass it on."
        )
    if state == MessageState.FAILED:
        return _(
            "The mail server refused the message. A site coordinator can see it in the "
            "hub's outbox."
        )
    if state in (MessageState.QUEUED, MessageState.SENDING, MessageState.RETRYING):
        return _(
            "The mail server has not taken the message yet. The hub keeps trying, and a site "
            "coordinator can see it in the hub's outbox."
        )
    return ""
