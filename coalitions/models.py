"""Coalitions: organizations whose members are organizations, at every level.

Membership is opt-in on both sides. Whichever side asks, the other side accepts. The result is
a graph: an organization may belong to several coalitions, and coalitions to coalitions.
"""

from django.conf import settings
from django.db import models


class MembershipStatus(models.TextChoices):
    REQUESTED = "requested", "Requested by the organization"
    INVITED = "invited", "Invited by the coalition"
    ACTIVE = "active", "Member"
    DECLINED = "declined", "Declined"
    LEFT = "left", "Left"


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
