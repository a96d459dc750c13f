"""Every message the hub sends, kept so that nobody is told "check your email" for a mail that
never left: a site coordinator reads here what was held, sent, retried or given up on.

The outbox sits at the bottom of the import order (it imports only Django and accounts), so any
app may send mail through it.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageState(models.TextChoices):
    HELD = "held", _("Kept here: the hub is not delivering mail")
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    RETRYING = "retrying", _("Not sent yet: trying again")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")


# States in which the person the message is for has not got it.
NOT_DELIVERED = (
    MessageState.HELD,
    MessageState.QUEUED,
    MessageState.SENDING,
    MessageState.RETRYING,
    MessageState.FAILED,
)


class OutboxMessage(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # What the message is for ("signup.confirm", "claim.link"): cool-downs and the outbox
    # page read it. Empty for mail Django itself sends (password reset).
    purpose = models.CharField(max_length=40, blank=True, db_index=True)
    # The first recipient, lower-cased: the key of per-address cool-downs.
    recipient = models.CharField(max_length=254, db_index=True)
    recipients = models.JSONField(default=list)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=998)
    body = models.TextField(help_text="The plain-text part, for reading in the hub.")
    # The whole message as built by Django, so a retry sends exactly what was written.
    raw = models.BinaryField()
    state = models.CharField(
        max_length=10, choices=MessageState.choices, default=MessageState.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} to {self.recipient}: {self.subject}"

    @property
    def delivered(self) -> bool:
        return self.state == MessageState.SENT
