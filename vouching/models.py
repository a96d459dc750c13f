"""Groups vouching for groups, the bar a coalition sets for its assembly, and the actions an
infiltrator would want that wait for a second coordinator.

The standing itself (verified, waiting, suspended) is a column of the listing
(`directory.Organization.standing`) so every app can check it without importing this one.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REASON_MAX_LENGTH = 500


class Vouch(models.Model):
    """A verified group (or a regional coordinator in their own name) says it knows a group."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="vouches_received"
    )
    # Empty when a coordinator vouched in their role rather than for a group.
    voucher = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="vouches_given",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the voucher was suspended: a coordinator looks again at what it vouched for.
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "voucher"],
                condition=Q(voucher__isnull=False),
                name="vouch_once_per_group",
            ),
            models.UniqueConstraint(
                fields=["organization", "by"],
                condition=Q(voucher__isnull=True),
                name="vouch_once_per_coordinator",
            ),
            models.CheckConstraint(
                condition=~Q(organization=models.F("voucher")), name="vouch_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher or self.by} vouches for {self.organization}"

    @property
    def needs_review(self) -> bool:
        return self.flagged_at is not None and self.reviewed_at is None


class Suspension(models.Model):
    """A group whose vouchers turned out to be fake, suspended by a coordinator."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="suspensions"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.organization} suspended"


class Bar(models.TextChoices):
    VERIFIED = "verified", _("Any verified member group")
    VOUCHES = "vouches", _("Two vouches from our member groups")
    MEETING = "meeting", _("A face-to-face meeting, recorded by a delegate or admin")
    APPROVAL = "approval", _("Our admins' approval")


class AssemblyBar(models.Model):
    """What a coalition asks of a member group before it takes part in the coalition's assembly."""

    coalition = models.OneToOneField(
        "directory.Organization", on_delete=models.CASCADE, related_name="assembly_bar"
    )
    bar = models.CharField(max_length=12, choices=Bar.choices, default=Bar.VERIFIED)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.coalition}: {self.bar}"


class AdmissionHow(models.TextChoices):
    BEFORE_BAR = "before_bar", _("A member before the bar was set")
    MEETING = "meeting", _("Met face to face")
    APPROVAL = "approval", _("Approved by the admins")


class Admission(models.Model):
    """A member group let into a coalition's assembly by a meeting or an approval."""

    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="admissions"
    )
    member = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="admitted_to"
    )
    how = models.CharField(max_length=12, choices=AdmissionHow.choices)
    note = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coalition", "member"], name="admission_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member} admitted to {self.coalition}'s assembly"


class PendingKind(models.TextChoices):
    ROLE_GRANT = "role_grant", _("Grant a coordinator role")
    MERGE = "merge", _("Merge two listings")


class PendingState(models.TextChoices):
    PENDING = "pending", _("Waiting for a second coordinator")
    DONE = "done", _("Confirmed and done")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FAILED = "failed", _("Could not be done")


class PendingAction(models.Model):
    """Something one coordinator asked for that runs only when a second one confirms it.

    `data` holds the original service's arguments as ids; the runner looks the objects up again
    when it runs, so a confirmation acts on what exists then."""

    kind = models.CharField(max_length=16, choices=PendingKind.choices)
    data = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The place whose coordinators may confirm it; empty: site coordinators only.
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=12, choices=PendingState.choices, default=PendingState.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.summary
