"""Coalitions: organizations whose members are organizations, at every level.

Membership is opt-in on both sides. Whichever side asks, the other side accepts. The result is
a graph: an organization may belong to several coalitions, and coalitions to coalitions.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MembershipStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested by the organization")
    INVITED = "invited", _("Invited by the coalition")
    ACTIVE = "active", _("Member")
    DECLINED = "declined", _("Declined")
    LEFT = "left", _("Left")
    REMOVED = "removed", _("Removed by the coalition")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> "MembershipQuerySet":
        return self.filter(status=MembershipStatus.ACTIVE)

    def pending(self) -> "MembershipQuerySet":
        return self.filter(status__in=[MembershipStatus.REQUESTED, MembershipStatus.INVITED])


class Membership(models.Model):
    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="member_links"
    )
    member = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="coalition_links"
    )
    status = models.CharField(max_length=12, choices=MembershipStatus.choices, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the asking side wrote with its request or invitation.
    message = models.TextField(blank=True, max_length=2000)
    # The other side's answer, or the reason given when the coalition removed the member.
    answer = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coalition", "member"], name="membership_unique"),
            models.CheckConstraint(
                condition=~models.Q(coalition=models.F("member")), name="membership_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["coalition", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.coalition} ({self.status})"


class CoalitionLevel(models.TextChoices):
    NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")
    CITY = "city", _("City or town")
    COUNTY = "county", _("County or metro area")
    STATE = "state", _("State or province")
    BIOREGION = "bioregion", _("Bioregion")
    NATION = "nation", _("Nation")
    WORLD = "world", _("World")


# The order coalitions nest in, smallest first: the graph on a coalition's page is drawn by it.
LEVEL_ORDER = {level: rank for rank, level in enumerate(CoalitionLevel.values)}


class CoalitionProfile(models.Model):
    """What a coalition is beyond its listing: the level it works at and the area it spans.

    The area may be an overlay region (Cascadia), which a listing's home place cannot be.
    """

    organization = models.OneToOneField(
        "directory.Organization", on_delete=models.CASCADE, related_name="coalition_profile"
    )
    level = models.CharField(max_length=16, choices=CoalitionLevel.choices)
    span = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.organization} ({self.level})"


class Notice(models.Model):
    """A line in a person's notice list: something another group did that concerns them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class ClusterChoice(models.Model):
    """A member group's own answer to "are we in this issue cluster?".

    Without a row, a member is in the clusters of the issue areas it has itself: the default
    needs no writing, and a group that retags its listing moves with it. A row, once a group's
    admins choose, pins their answer whatever the listing's tags later say.
    """

    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="cluster_choices"
    )
    issue = models.ForeignKey("directory.IssueArea", on_delete=models.CASCADE, related_name="+")
    joined = models.BooleanField()
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coalition", "member", "issue"], name="cluster_choice_unique"
            )
        ]
        indexes = [models.Index(fields=["coalition", "issue", "joined"])]

    def __str__(self) -> str:
        return f"{self.member} {'in' if self.joined else 'out of'} {self.issue} ({self.coalition})"


class LeadStatus(models.TextChoices):
    VOLUNTEERED = "volunteered", _("Offered to lead; the coalition's admins will answer")
    CONFIRMED = "confirmed", _("Lead group")
    DECLINED = "declined", _("Declined by the coalition")
    STEPPED_DOWN = "stepped_down", _("Stepped down")
    WITHDRAWN = "withdrawn", _("Withdrawn by the coalition")


class ClusterLead(models.Model):
    """A member group that offered to lead one of its coalition's issue clusters, and how the
    coalition answered. One row per group and cluster, reused when a group offers again."""

    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="cluster_leads"
    )
    issue = models.ForeignKey("directory.IssueArea", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="cluster_lead_roles"
    )
    status = models.CharField(max_length=12, choices=LeadStatus.choices, db_index=True)
    # What the group wrote when it offered.
    message = models.TextField(blank=True, max_length=2000)
    # The coalition's answer, its reason for withdrawing, or the group's word on stepping down.
    answer = models.TextField(blank=True, max_length=2000)
    volunteered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coalition", "issue", "organization"], name="cluster_lead_unique"
            )
        ]
        indexes = [models.Index(fields=["coalition", "status"])]

    def __str__(self) -> str:
        return f"{self.organization} leads {self.issue} in {self.coalition} ({self.status})"
