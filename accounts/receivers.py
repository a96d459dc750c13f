"""Sign-in events, from Django's auth and django-axes, handed to accounts' services.

Signals are the one place every way of signing in (the sign-in page, the admin's, a second
step added later) passes through, so the audit log and the lockout mail hang here rather than
in one view."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import services
from accounts.limits import client_address, signin_username


def _agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))


@receiver(user_logged_in, dispatch_uid="accounts.signed_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Logging in right after opening an account or a forced login in tests has no form post;
    # the record is the same.
    if request is None:
        return
    services.signin_record(user=user, address=client_address(request), user_agent=_agent(request))


@receiver(user_login_failed, dispatch_uid="accounts.signin_failed")
def _signin_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None:
        return
    if getattr(request, "signin_address_limited", False):
        reason = "address_limited"
    elif getattr(request, "axes_locked_out", False):
        reason = "locked"
    else:
        reason = "wrong_password"
    services.signin_failure_record(
        email=signin_username(request, credentials) or "",
        address=client_address(request),
        user_agent=_agent(request),
        reason=reason,
    )


def _locked_out(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    if getattr(request, "signin_address_limited", False):
        return  # the address is limited, not the account: its owner has nothing to unlock
    services.signin_lockout_notify(
        email=username or "",
        address=client_address(request),
        user_agent=_agent(request),
        base_url=request.build_absolute_uri("/"),
    )


def connect() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="accounts.locked_out")
