"""Requests and offers of support between groups, pledges against requests, and campaigns.

Money is pledged, never held: the hub records amounts with their currency and links to the
group's own way to receive money. A delivery counts only once the receiving side confirms it.
Requests and offers copy their place's `lft` (and `rgt`), so "inside place X" and "within reach
of this offer" are integer range tests (see places.models).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MONEY = "money", _("Money")
    VOLUNTEERS = "volunteers", _("Volunteers")
    SKILLS = "skills", _("Skills")
    EQUIPMENT = "equipment", _("Equipment")
    SPACE = "space", _("Space")
    TRANSPORT = "transport", _("Transport")
    LEGAL = "legal", _("Legal help")
    MEDICAL = "medical", _("Medical help")
    FOOD = "food", _("Food")
    HOUSING = "housing", _("Housing")
    OTHER = "other", _("Other")


# Kinds whose help is given in person, so where it is needed matters; the rest can be sent.
IN_PERSON_KINDS = {Kind.VOLUNTEERS, Kind.SPACE, Kind.TRANSPORT, Kind.HOUSING, Kind.FOOD}


class Urgency(models.IntegerChoices):
    WHENEVER = 1, _("When you can")
    SOON = 2, _("Soon")
    URGENT = 3, _("Urgent")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Anyone")
    COALITIONS = "coalitions", _("Groups in our coalitions")
    NAMED = "named", _("Only the groups we name")


class NeedState(models.TextChoices):
    OPEN = "open", _("Open")
    MET = "met", _("Met")
    NOT_NEEDED = "not_needed", _("No longer needed")
    CLOSED = "closed", _("Closed")


class PledgeState(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    DELIVERED = "delivered", _("Delivered, waiting for confirmation")
    CONFIRMED = "confirmed", _("Received in full")
    PARTIAL = "partial", _("Received in part")
    REFERRED = "referred", _("Referred to another group")
    NOT_NEEDED = "not_needed", _("No longer needed")
    COULD_NOT = "could_not", _("Could not deliver")


# Pledges whose amount still counts toward what a request has been promised.
LIVE_PLEDGE_STATES = [PledgeState.PLEDGED, PledgeState.DELIVERED]
# Pledges that were received: each is a tie between two groups.
RECEIVED_STATES = [PledgeState.CONFIRMED, PledgeState.PARTIAL]


class _Posting(models.Model):
    """What requests and offers share: who, what, how much, where, for which issue, who sees it."""

    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Null: as much as comes (a standing page). Money in its currency; people or items counted.
    quantity = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    place_lft = models.PositiveIntegerField(null=True, blank=True)
    place_rgt = models.PositiveIntegerField(null=True, blank=True)
    remote = models.BooleanField(default=False)
    issue_area = models.ForeignKey(
        "directory.IssueArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    visible_to = models.ManyToManyField("directory.Organization", blank=True, related_name="+")
    # Set for pages imported from a list (the Mutual Aid Hub's "Support Request" links).
    standing = models.BooleanField(default=False)
    link_url = models.URLField(max_length=1000, blank=True)
    # Shown to the other side only once both have agreed (see Pledge.accepted_at).
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def is_money(self) -> bool:
        return self.kind == Kind.MONEY

    def amount_label(self, amount: Decimal | None) -> str:
        if amount is None:
            return ""
        number = f"{amount:,.2f}" if self.is_money else f"{amount.normalize():,f}"
        if self.is_money:
            return f"{number} {self.currency}".strip()
        return f"{number} {self.unit}".strip()


class Campaign(models.Model):
    """A coalition's drive that many groups contribute to, with a target."""

    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True, max_length=5000)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    scope = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey(
        "actions.CallToAction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="solidarity_campaigns",
    )
    closed = models.BooleanField(default=False)
    # Goes up with every change to its pledges, so per-process roll-up caches know to reload.
    version = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("solidarity:campaign", args=[self.slug])


# The `due_on` of a request with no date: after every dated one.
NO_DATE = date(9999, 12, 31)


class SupportRequest(_Posting):
    needed_by = models.DateField(null=True, blank=True)
    # needed_by, or NO_DATE: a non-null copy so "most urgent, soonest first" reads an index in
    # order on every database (they disagree on where NULLs sort).
    due_on = models.DateField(default=NO_DATE)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.SOON)
    # Housing an evicted family, legal support: never on public pages, feeds or the API.
    sensitive = models.BooleanField(default=False)
    allow_over = models.BooleanField(default=False, help_text="Take pledges beyond what was asked.")
    call = models.ForeignKey(
        "actions.CallToAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    # The group's own page for receiving money; the hub never handles payments.
    money_link = models.URLField(max_length=1000, blank=True)
    state = models.CharField(
        max_length=10, choices=NeedState.choices, default=NeedState.OPEN, db_index=True
    )
    # Kept under the request's row lock by the pledge services; never read-modify-write.
    pledged = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    received = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    pledge_count = models.PositiveIntegerField(default=0)
    # The requester cut what it asks below what groups had already pledged, and said it knew:
    # those pledges stand (their groups were told) and no new pledge is taken past the cut.
    cut_below_pledged = models.BooleanField(default=False)

    class Meta:
        ordering = ["-urgency", "due_on", "id"]
        indexes = [
            models.Index(fields=["state", "kind", "place_lft"]),
            models.Index(
                fields=["state", "kind", "-urgency", "due_on", "id"], name="request_match_order"
            ),
            models.Index(fields=["state", "place_lft"]),
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["campaign", "state"]),
            # A campaign page's most urgent requests, read in order.
            models.Index(
                fields=["campaign", "-urgency", "due_on", "id"], name="request_campaign_order"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sensitive=True, visibility="public"), name="sensitive_never_public"
            ),
            models.CheckConstraint(
                condition=Q(allow_over=True)
                | Q(cut_below_pledged=True)
                | Q(quantity__isnull=True)
                | Q(pledged__lte=models.F("quantity")),
                name="request_not_overpledged",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("solidarity:request", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == NeedState.OPEN

    @property
    def remaining(self) -> Decimal | None:
        if self.quantity is None:
            return None
        return max(Decimal(0), self.quantity - self.pledged)


class SupportOffer(_Posting):
    # Standing: offered until withdrawn; one-off: between the dates.
    one_off = models.BooleanField(default=False)
    available_from = models.DateField(null=True, blank=True)
    available_until = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["active", "kind", "place_lft"]),
            models.Index(fields=["organization", "active"]),
        ]

    def get_absolute_url(self) -> str:
        return reverse("solidarity:offer", args=[self.pk])


class Pledge(models.Model):
    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="pledges")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    offer = models.ForeignKey(
        SupportOffer, null=True, blank=True, on_delete=models.SET_NULL, related_name="pledges"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    delivered_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    received_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=PledgeState.choices, default=PledgeState.PLEDGED, db_index=True
    )
    message = models.TextField(blank=True, max_length=2000)
    note = models.TextField(blank=True, max_length=2000)
    referred_to = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copy of the pledging group's place_lft: roll-ups by where help came from are range counts.
    place_lft = models.PositiveIntegerField(null=True, blank=True)
    # Copy of the request's campaign, so a campaign's roll-up reads one index range.
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Contacts are shown to each side once the pledger offered (by pledging) and the
    # requester accepted.
    accepted_at = models.DateTimeField(null=True, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    # Each side chooses whether this tie shows on its public page.
    pledger_shows = models.BooleanField(default=True)
    requester_shows = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "state"]),
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["state", "settled_at"]),
            # Everything a campaign's roll-up reads, so it reads this index and not the rows.
            models.Index(
                fields=[
                    "campaign",
                    "place_lft",
                    "state",
                    "organization",
                    "amount",
                    "received_amount",
                ],
                name="pledge_campaign_rollup",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.request}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_PLEDGE_STATES

    @property
    def counted(self) -> Decimal:
        """What this pledge adds to the request's pledged total in its state."""
        if self.state in LIVE_PLEDGE_STATES:
            return self.amount
        if self.state in RECEIVED_STATES:
            return self.received_amount or Decimal(0)
        return Decimal(0)


class SupportSettings(models.Model):
    """A group's own choice of what its page shows of the support it gave and received. A group
    without a row shows its ties (each pledge may still be kept off the page by either side)."""

    organization = models.OneToOneField(
        "directory.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    show_ties = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "support settings"

    def __str__(self) -> str:
        return f"support settings of {self.organization_id}"
