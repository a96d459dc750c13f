"""Reads about sign-in security, each limited to the person asking."""

from typing import Any

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice

from security.models import CoalitionSecurity, TrackedSession


def is_coordinator(user: Any) -> bool:
    """Site and regional coordinators: the people whose accounts open the most doors."""
    return bool(
        user.is_staff
        or user.is_superuser
        or getattr(user, "is_site_coordinator", False)
        or user.regional_roles.exists()
    )


def coalitions_requiring_second_factor(user: Any) -> QuerySet[CoalitionSecurity]:
    """The coalitions this person administers that ask their admins for a second factor."""
    return CoalitionSecurity.objects.filter(
        admins_need_second_factor=True,
        organization__admins__user=user,
    ).select_related("organization")


def second_factor_required(user: Any) -> bool:
    return is_coordinator(user) or coalitions_requiring_second_factor(user).exists()


def second_factors(user: Any) -> list[Any]:
    """The person's confirmed authenticator apps, security keys and passkeys (recovery codes are
    a spare, not a factor of their own)."""
    return [
        device
        for device in devices_for_user(user, confirmed=True)
        if not isinstance(device, StaticDevice)
    ]


def recovery_codes_left(user: Any) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def has_any_device(user: Any) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def sessions_for_user(user: Any) -> QuerySet[TrackedSession]:
    """The person's sessions that the session store still holds and that have not expired."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return TrackedSession.objects.filter(user=user, session_key__in=live).order_by("-last_seen_at")


def administered_coalitions(user: Any) -> list[tuple[Any, bool]]:
    """Coalitions this person is an admin of, with whether each asks its admins for a second
    factor. A coalition is a listing of the coalition kind."""
    orgs = [
        role.organization
        for role in user.organization_roles.select_related(
            "organization", "organization__security_policy"
        )
        .filter(organization__kind="coalition")
        .order_by("organization__name")
    ]
    result = []
    for org in orgs:
        policy = getattr(org, "security_policy", None)
        result.append((org, bool(policy and policy.admins_need_second_factor)))
    return result
