"""Whom to meet and introductions: the ties between groups that the hub knows of, the
suggestions a group has set aside, and introductions a network weaver brokers.

A tie here is what the hub learnt from an introduction. Shared coalition membership is the
other kind of tie and is read from coalitions.Membership, never copied.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Dismissal(models.Model):
    """A suggestion a group does not want to see again, until someone undoes it.

    `key` names what was suggested ("org:12", "place:40", "issue:housing") so that one table
    holds dismissed groups, coalitions and coverage gaps alike.
    """

    owner = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="dismissals"
    )
    key = models.CharField(max_length=80)
    # What the suggestion was called when dismissed, for the undo list.
    label = models.CharField(max_length=300)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="dismissal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} dismissed {self.key}"


class IntroductionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for both groups")
    ACCEPTED = "accepted", _("Both groups accepted")
    DECLINED = "declined", _("Declined")


class Answer(models.TextChoices):
    PENDING = "pending", _("Not answered yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Outcome(models.TextChoices):
    MET = "met", _("We met")
    WORKING = "working", _("We are working together")
    NOT_YET = "not_yet", _("Not yet")
    NO = "no", _("No, and we do not plan to")


class Introduction(models.Model):
    """A weaver's proposal that two groups meet. Neither sees the other's private contact
    until both have accepted."""

    weaver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The coordinated place the weaver acted for, whose outreach board hears the outcome;
    # empty when a group's or coalition's admin proposed it.
    team_place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    status = models.CharField(
        max_length=10,
        choices=IntroductionStatus.choices,
        default=IntroductionStatus.PROPOSED,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    followup_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    followup_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Introduction {self.pk} ({self.status})"


class IntroductionSide(models.Model):
    """One of the two groups of an introduction: its answer and, later, what came of it."""

    introduction = models.ForeignKey(Introduction, on_delete=models.CASCADE, related_name="sides")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="introduction_sides"
    )
    answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.PENDING)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, max_length=2000)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True, max_length=2000)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["introduction", "organization"], name="introduction_side_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "answer"])]

    def __str__(self) -> str:
        return f"{self.organization_id} in introduction {self.introduction_id}: {self.answer}"


class TieKind(models.TextChoices):
    INTRODUCED = "introduced", _("Introduced")
    MET = "met", _("Met")
    WORKING = "working", _("Working together")


class Tie(models.Model):
    """Two groups the hub knows are in touch, stored once per pair (low id first)."""

    low = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=TieKind.choices)
    introduction = models.ForeignKey(
        Introduction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="tie_unique"),
            models.CheckConstraint(
                condition=models.Q(low__lt=models.F("high")), name="tie_ordered"
            ),
        ]
        indexes = [models.Index(fields=["high"])]

    def __str__(self) -> str:
        return f"{self.low_id} — {self.high_id} ({self.kind})"
