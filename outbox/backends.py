"""The hub's mail backend (MAILERS["default"]): every message goes into the outbox first.

With no mail server configured (the embedded default), messages are held there, and written as
.eml files under var/outbox/, for a site coordinator to read. With one configured (EMAIL_HOST,
or EMAIL_BACKEND naming another backend), it is MAILERS["relay"]: each message is sent once
its transaction has committed, and a message the server did not take is retried by the
background worker. Nothing here reports a message as sent that the relay did not accept.
"""

from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from outbox import services

        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            record = services.message_record(
                message=message, purpose=getattr(message, "outbox_purpose", "")
            )
            # The caller may ask how its message fared (see outbox.services.mail_send).
            message.outbox_record = record  # type: ignore[attr-defined]
            count += 1
        return count


class StoredMessage(EmailMessage):
    """A message from the outbox, handed to the relay byte for byte as it was first built."""

    def __init__(self, *, raw: bytes, from_email: str, recipients: list[str]) -> None:
        super().__init__(from_email=from_email, to=recipients)
        self._raw = raw

    def message(self, *, policy: Any = None) -> Any:
        import email
        import email.policy

        return email.message_from_bytes(self._raw, policy=policy or email.policy.default)
