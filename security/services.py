"""Writes about sign-in security. Each checks that the person may touch what it changes and
leaves a line in the audit log (never a secret: no codes, no keys)."""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import audit_record
from security import selectors
from security.models import CoalitionSecurity, TrackedSession

RECOVERY_CODE_COUNT = 10


def _device_kind(device: Any) -> str:
    return {
        "totpdevice": "authenticator app",
        "staticdevice": "recovery codes",
        "webauthncredential": "security key or passkey",
    }.get(device._meta.model_name, device._meta.model_name)


@transaction.atomic
def totp_device_start(*, user: Any) -> TOTPDevice:
    """A new authenticator-app secret, unconfirmed until the person types a code from it.
    Earlier unconfirmed ones are dropped so abandoned attempts do not pile up."""
    _require_verified_if_enrolled(user)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


@transaction.atomic
def totp_device_confirm(*, request: HttpRequest, device_id: int, token: str) -> TOTPDevice:
    user: Any = request.user
    _require_verified_if_enrolled(user)
    device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id).first()
    if device is None or device.confirmed:
        raise PermissionDenied
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ValidationError(
            _("That code did not match. Check the time on your phone and try again.")
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    if not user.is_verified():
        otp_login(request, device)
    second_factor_enrolled(user=user, device=device)
    return device


def second_factor_enrolled(*, user: Any, device: Any) -> None:
    """Record a new factor (the passkey ceremony creates its own row; this logs it)."""
    audit_record(
        actor=user,
        action="security.second_factor_added",
        target=user,
        data={"kind": _device_kind(device), "device": device.persistent_id},
    )


@transaction.atomic
def recovery_codes_create(*, user: Any) -> list[str]:
    """Ten new one-use recovery codes, replacing any earlier ones. Shown once, stored hashed
    nowhere else: the person keeps them."""
    _require_verified_if_enrolled(user)
    if not selectors.second_factors(user):
        raise ValidationError(_("Set up an authenticator app or a passkey first."))
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit_record(actor=user, action="security.recovery_codes_created", target=user)
    return codes


@transaction.atomic
def second_factor_remove(*, user: Any, persistent_id: str) -> None:
    _require_verified_if_enrolled(user)
    devices = {d.persistent_id: d for d in _all_devices(user)}
    device = devices.get(persistent_id)
    if device is None:
        raise PermissionDenied
    remaining = [d for d in selectors.second_factors(user) if d.persistent_id != persistent_id]
    if not isinstance(device, StaticDevice) and not remaining:
        if settings.SECOND_FACTOR_ENFORCED and selectors.second_factor_required(user):
            raise ValidationError(
                _("Your role needs a second factor: add another before removing this one.")
            )
        # Recovery codes alone are no second factor; they go with the last real one.
        StaticDevice.objects.filter(user=user).delete()
    kind = _device_kind(device)
    device.delete()
    audit_record(
        actor=user,
        action="security.second_factor_removed",
        target=user,
        data={"kind": kind, "device": persistent_id},
    )


def second_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Check a code from an app or a recovery code and mark the session verified. The devices
    themselves slow down repeated wrong codes (django-otp's throttling)."""
    user: Any = request.user
    device = match_token(user, token.strip().replace(" ", ""))
    if device is None:
        audit_record(actor=user, action="security.second_factor_failed", target=user)
        return False
    otp_login(request, device)
    second_factor_used(user=user, device=device)
    return True


def second_factor_used(*, user: Any, device: Any) -> None:
    """Record a sign-in confirmed by a second factor (which kind, never the code)."""
    audit_record(
        actor=user,
        action="security.second_factor_used",
        target=user,
        data={"kind": _device_kind(device)},
    )


def _all_devices(user: Any) -> list[Any]:
    from django_otp import devices_for_user

    return list(devices_for_user(user, confirmed=None))


def _require_verified_if_enrolled(user: Any) -> None:
    """Someone who has only the password must not add or remove factors of an account that
    already has one."""
    if not user.is_verified() and selectors.has_any_device(user):
        raise PermissionDenied


def session_seen(*, user: Any, session_key: str, user_agent: str, ip_address: str | None) -> None:
    now = timezone.now()
    TrackedSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "user_agent": user_agent[:300],
            "ip_address": ip_address or None,
            "last_seen_at": now,
        },
        create_defaults={
            "user": user,
            "user_agent": user_agent[:300],
            "ip_address": ip_address or None,
            "last_seen_at": now,
            "created_at": now,
        },
    )


def _end(session_keys: list[str]) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()
    TrackedSession.objects.filter(session_key__in=session_keys).delete()


@transaction.atomic
def session_sign_out(*, user: Any, session_id: int) -> None:
    tracked = TrackedSession.objects.filter(user=user, pk=session_id).first()
    if tracked is None:
        raise PermissionDenied
    _end([tracked.session_key])
    audit_record(
        actor=user,
        action="security.session_signed_out",
        target=user,
        data={"session": tracked.pk},
    )


@transaction.atomic
def sessions_sign_out_everywhere(*, user: Any) -> int:
    """End every session of this person, this one included."""
    keys = list(TrackedSession.objects.filter(user=user).values_list("session_key", flat=True))
    _end(keys)
    audit_record(
        actor=user,
        action="security.signed_out_everywhere",
        target=user,
        data={"sessions": len(keys)},
    )
    return len(keys)


@transaction.atomic
def coalition_second_factor_set(*, user: Any, organization: Any, required: bool) -> None:
    """A coalition's admins decide whether its admins must have a second factor."""
    is_admin = user.organization_roles.filter(
        organization=organization, organization__kind="coalition"
    ).exists()
    if not is_admin:
        raise PermissionDenied
    if required and not selectors.second_factors(user):
        raise ValidationError(_("Set up a second factor for yourself first."))
    policy, _created = CoalitionSecurity.objects.get_or_create(organization=organization)
    policy.admins_need_second_factor = required
    policy.updated_by = user
    policy.save()
    audit_record(
        actor=user,
        action="security.coalition_second_factor_set",
        target=organization,
        data={"required": required},
    )
