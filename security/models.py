"""Sign-in security: which coalitions ask a second factor of their admins, and the sessions a
person has open (so they can see them and end them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CoalitionSecurity(models.Model):
    """A coalition's own rules for its admins. Kept here, keyed by the coalition's listing, so
    the coalitions app needs no change to hold it."""

    organization = models.OneToOneField(
        "directory.Organization", on_delete=models.CASCADE, related_name="security_policy"
    )
    admins_need_second_factor = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Security rules of {self.organization}"


class TrackedSession(models.Model):
    """One signed-in session: the browser it came from, its address and when it was last seen.
    The session itself lives in Django's session store; this row only describes it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"Session of {self.user} last seen {self.last_seen_at:%Y-%m-%d %H:%M}"
