"""Claims (a group taking charge of its listing) and the outreach pipeline of coordinator teams.

Outreach entries hold private working notes about a group: only the coordinators of the entry's
place (and site coordinators) ever read them; no public page, feed or API selects this table.
"""

from django.conf import settings
from django.db import models


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Declined"


class ClaimRequest(models.Model):
    """A person asks to look after a group's listing. While the listing has no admins, a
    coordinator of its place decides; once it has admins, they do (a site coordinator may
    decide in their stead, giving a reason that goes into the audit log)."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="claim_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim_requests"
    )
    message = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why the decider decided as they did.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=models.Q(status="pending"),
                name="claim_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.organization} ({self.status})"


class ClaimLink(models.Model):
    """A claim link mailed to the address the directory holds for a group. The mail carries a
    signed, time-limited token naming this row; the row makes the link single-use."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="claim_links"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The mail that carries the link, so the page can say whether it left.
    message = models.ForeignKey(
        "outbox.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Claim link for {self.organization} sent {self.sent_at:%Y-%m-%d %H:%M}"


class Stage(models.TextChoices):
    FOUND = "found", "Found"
    CONTACTED = "contacted", "Contacted"
    RESPONDED = "responded", "Responded"
    CONNECTED = "connected", "Connected"
    ACTIVE = "active", "Active"


class OutreachEntry(models.Model):
    """One coordinator team's (one place's) relationship with one group."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="outreach_entries"
    )
    # The team: the coordinators of this place (a region of several places included).
    place = models.ForeignKey(
        "places.Place", on_delete=models.CASCADE, related_name="outreach_entries"
    )
    stage = models.CharField(
        max_length=10, choices=Stage.choices, default=Stage.FOUND, db_index=True
    )
    notes = models.TextField(blank=True, help_text="Private to this place's coordinators.")
    next_step = models.CharField(max_length=300, blank=True)
    next_step_on = models.DateField(null=True, blank=True, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_assignments",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "place"], name="outreach_entry_unique")
        ]
        indexes = [models.Index(fields=["place", "stage"])]
        verbose_name_plural = "outreach entries"

    def __str__(self) -> str:
        return f"{self.organization} · {self.place} · {self.stage}"


class StageChange(models.Model):
    entry = models.ForeignKey(OutreachEntry, on_delete=models.CASCADE, related_name="history")
    from_stage = models.CharField(max_length=10, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=10, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.from_stage or '—'} → {self.to_stage}"
