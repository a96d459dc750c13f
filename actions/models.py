"""Calls to action that only go when enough groups commit, their local events, and alerts.

A call gathers commitments from organizations. It goes by itself, once, when its thresholds are
met; otherwise it ends as "not enough" at its deadline. Commitments copy their organization's
`place_lft`, so every roll-up by place is an integer range count (see places.models).

Rapid-response alerts fan out to opted-in subscribers as one Delivery row per recipient and
channel; a worker claims a row with a conditional UPDATE before sending it, which is what keeps
retries and crashed workers from sending twice.
"""

import secrets
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from places.models import PlaceKind

NO_LIMIT = 0


class CallState(models.TextChoices):
    GATHERING = "gathering", "Gathering commitments"
    GO = "go", "Go"
    NOT_ENOUGH = "not_enough", "Not enough commitments"
    CANCELLED = "cancelled", "Cancelled"


THRESHOLD_LEVELS = [
    (PlaceKind.COUNTRY.value, "countries"),
    (PlaceKind.STATE.value, "states or provinces"),
    (PlaceKind.COUNTY.value, "counties or districts"),
    (PlaceKind.LOCALITY.value, "localities"),
    (PlaceKind.BIOREGION.value, "bioregions"),
    (PlaceKind.MACROREGION.value, "macro-regions"),
]


class CallQuerySet(models.QuerySet["CallToAction"]):
    def gathering(self) -> "CallQuerySet":
        return self.filter(state=CallState.GATHERING)

    def open_for_commitments(self) -> "CallQuerySet":
        return self.filter(state__in=[CallState.GATHERING, CallState.GO])


class CallToAction(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField()
    issue_areas = models.ManyToManyField("directory.IssueArea", blank=True, related_name="calls")
    # Bits of issue_areas, so coverage gaps and alert matching test a mask instead of joining.
    issue_mask = models.BigIntegerField(default=0)
    starts_at = models.DateTimeField(help_text="When the day (or window) of action begins.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="End of a window of action.")
    # The zone its times were given in and are shown in (an IANA name). Stored times are UTC;
    # this says which wall clock people read them on. Calls from before it existed were UTC.
    time_zone = models.CharField(max_length=64, default="UTC")
    scope = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="calls")
    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="calls_issued"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Thresholds: 0 means "no such rule". Both rules must hold when both are set.
    min_organizations = models.PositiveIntegerField(default=NO_LIMIT)
    place_level = models.CharField(max_length=16, choices=THRESHOLD_LEVELS, blank=True)
    min_places = models.PositiveIntegerField(default=NO_LIMIT)
    min_per_place = models.PositiveIntegerField(default=1)
    deadline = models.DateTimeField()

    state = models.CharField(
        max_length=12, choices=CallState.choices, default=CallState.GATHERING, db_index=True
    )
    # Kept under the call's row lock by the commitment services; never read-modify-write.
    active_count = models.PositiveIntegerField(default=0)
    places_met = models.PositiveIntegerField(default=0)
    expected_turnout = models.PositiveIntegerField(default=0)
    # Goes up with every change to commitments, so per-process roll-up caches know to reload.
    version = models.PositiveBigIntegerField(default=0)
    # Goes up by one with every change to the per-position tallies, each step logged as a
    # TallyChange, so a cached roll-up can catch up by applying the steps it missed.
    tally_version = models.PositiveBigIntegerField(default=0)
    # Set once the first commitment exists: wording and thresholds may no longer change.
    frozen = models.BooleanField(default=False)
    went_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_organizations__gt=0) | Q(min_places__gt=0),
                name="call_has_a_threshold",
            ),
            models.CheckConstraint(
                condition=Q(min_places=0) | ~Q(place_level=""), name="call_place_rule_has_level"
            ),
            models.CheckConstraint(condition=Q(min_per_place__gte=1), name="call_min_per_place"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("actions:call", args=[self.slug])

    @property
    def is_gathering(self) -> bool:
        return self.state == CallState.GATHERING

    @property
    def is_open(self) -> bool:
        return self.state in (CallState.GATHERING, CallState.GO)

    @property
    def level_label(self) -> str:
        return dict(THRESHOLD_LEVELS).get(self.place_level, "places")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or "UTC")

    @property
    def editable(self) -> bool:
        """Wording and thresholds may change only while gathering and before anyone commits."""
        return self.state == CallState.GATHERING and not self.frozen


class CommitmentState(models.TextChoices):
    ACTIVE = "active", "Committed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CommitmentQuerySet(models.QuerySet["Commitment"]):
    def active(self) -> "CommitmentQuerySet":
        return self.filter(state=CommitmentState.ACTIVE)


class Commitment(models.Model):
    """An organization's promise to act if the call goes, with its local event."""

    call = models.ForeignKey(CallToAction, on_delete=models.CASCADE, related_name="commitments")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="commitments"
    )
    state = models.CharField(
        max_length=10, choices=CommitmentState.choices, default=CommitmentState.ACTIVE
    )
    # Copy of the organization's place_lft when it committed: roll-ups are range counts.
    place_lft = models.PositiveIntegerField(null=True, blank=True)
    # The places of the call's threshold level this commitment counts toward (a tree level has
    # one; overlapping regions may have several). Fixed when the commitment is made.
    tally_places = models.JSONField(default=list, blank=True)
    expected_turnout = models.PositiveIntegerField(default=0)
    event_date = models.DateField(null=True, blank=True)
    event_time = models.TimeField(null=True, blank=True)
    # The wall clock of event_date/event_time: the group's own place's zone unless it chose one.
    time_zone = models.CharField(max_length=64, default="UTC")
    venue = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    address_public = models.BooleanField(default=False)
    accessibility = models.TextField(blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # After action.
    reported_at = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(null=True, blank=True)
    turnout = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["call", "place_lft", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organization"], name="commitment_one_per_organization"
            )
        ]
        indexes = [
            models.Index(fields=["call", "state", "place_lft"]),
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["state", "place_lft"]),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.call}"

    @property
    def is_active(self) -> bool:
        return self.state == CommitmentState.ACTIVE

    @property
    def has_event(self) -> bool:
        return self.event_date is not None

    @property
    def event_start(self) -> datetime | None:
        """The event's start as an aware datetime (midnight when no time was given)."""
        if self.event_date is None:
            return None
        start = datetime.combine(self.event_date, self.event_time or datetime.min.time())
        return start.replace(tzinfo=ZoneInfo(self.time_zone or "UTC"))

    @property
    def reports_open_at(self) -> datetime:
        """An after-action report can be given from the local event's start, or from the
        call's day of action for a commitment without an event of its own."""
        return self.event_start or self.call.starts_at

    @property
    def outcome_label(self) -> str:
        if self.state == CommitmentState.WITHDRAWN:
            return "withdrawn"
        if self.reported_at is None:
            return "unreported"
        return "kept" if self.held else "not held"


class PlaceTally(models.Model):
    """Active commitments per place of a call's threshold level, kept under the call's lock."""

    call = models.ForeignKey(CallToAction, on_delete=models.CASCADE, related_name="tallies")
    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    active = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "place"], name="place_tally_unique")]

    def __str__(self) -> str:
        return f"{self.place}: {self.active}"


class LftTally(models.Model):
    """Active commitments per organization `place_lft` of a call, kept under the call's lock,
    so a roll-up reads one row per distinct place instead of grouping every commitment."""

    call = models.ForeignKey(CallToAction, on_delete=models.CASCADE, related_name="lft_tallies")
    place_lft = models.PositiveIntegerField(null=True, blank=True)
    active = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "place_lft"], name="lft_tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.place_lft}: {self.active}"


class TallyChange(models.Model):
    """One step of a call's tallies: `delta` commitments at `place_lft`, as of `tally_version`.

    Written under the call's lock with the step itself; old steps are pruned, and a reader that
    finds a step missing recounts from the tallies instead.
    """

    call = models.ForeignKey(CallToAction, on_delete=models.CASCADE, related_name="+")
    tally_version = models.PositiveBigIntegerField()
    place_lft = models.PositiveIntegerField(null=True, blank=True)
    delta = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "tally_version"], name="tally_change_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tally_version}: {self.place_lft} {self.delta:+d}"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """An opt-in to rapid-response alerts by issue area and place, by a person or a group."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
    )
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
    )
    email = models.EmailField(blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    # Shared with the group's own tool so it can check the HMAC of each webhook.
    webhook_secret = models.CharField(max_length=64, default=_new_secret)
    issue_areas = models.ManyToManyField("directory.IssueArea", blank=True, related_name="+")
    # 0 = every issue area.
    issue_mask = models.BigIntegerField(default=0)
    # Null = everywhere.
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    active = models.BooleanField(default=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(organization__isnull=False),
                name="subscription_has_owner",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(webhook_url=""), name="subscription_has_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"alerts for {self.organization or self.user}"


class SubscriptionRange(models.Model):
    """The tree ranges a subscription's place covers (one, or a region's members'), so matching
    an alert to 100,000 subscribers is one indexed overlap query."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="ranges")
    lft = models.PositiveIntegerField()
    rgt = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["lft", "rgt"])]

    def __str__(self) -> str:
        return f"{self.lft}..{self.rgt}"


class AlertKind(models.TextChoices):
    ALERT = "alert", "Rapid-response alert"
    NOTICE = "notice", "Notice to committed organizations"


class AlertState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    DONE = "done", "Sent"


class Alert(models.Model):
    kind = models.CharField(max_length=8, choices=AlertKind.choices, default=AlertKind.ALERT)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    issue_areas = models.ManyToManyField("directory.IssueArea", blank=True, related_name="+")
    issue_mask = models.BigIntegerField(default=0)
    # Null = everywhere.
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    call = models.ForeignKey(
        CallToAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    sender_organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=AlertState.choices, default=AlertState.QUEUED)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    # Held by a worker, not yet handed to the mail server: safe to hand back if it stops.
    CLAIMED = "claimed", "Queued for sending"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    RETRY = "retry", "Will be retried"
    FAILED = "failed", "Failed"
    # A worker stopped mid-send: the message may or may not have left. Never re-sent on its own.
    UNCERTAIN = "uncertain", "Outcome unknown"
    SKIPPED = "skipped", "Skipped (unsubscribed)"


class Delivery(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Who holds the row while sending, and since when (a crashed worker's claim goes stale).
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Stable per delivery, so a receiving tool can drop a repeat on its side too.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "channel", "address"], name="delivery_once_per_address"
            )
        ]
        indexes = [
            models.Index(fields=["alert", "status", "id"]),
            models.Index(fields=["claim"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address}: {self.status}"
