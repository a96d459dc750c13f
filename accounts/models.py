"""People, their roles, and the audit log."""

from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_site_coordinator", True)
        # Made at the server's console by whoever runs the hub, who may not have mail set up yet.
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, who signs in with their email address."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the admin site.")
    is_site_coordinator = models.BooleanField(
        default=False, help_text="Coordinates the whole hub: issue areas, regions, any listing."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Signed up but has not yet followed the mailed link (such an account is also inactive;
    # this tells it apart from one a coordinator switched off).
    pending_signup = models.BooleanField(default=False)
    # When the person last proved they read mail at `email` (the sign-up link or a verification
    # link). Until then the account may look around but not act for a group.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class RegionalCoordinator(models.Model):
    """A person who coordinates one place and everything inside it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="regional_roles")
    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="coordinators")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "place"], name="regional_coordinator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} coordinates {self.place}"


class AuditEvent(models.Model):
    """Who did what to which record, kept for accountability and for spotting disruption."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_type}:{self.target_id}"
