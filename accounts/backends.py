"""Sign-in checks made before any password: the client's address, then the account's lock."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.limits import client_address, limit_reached


class AddressLimitBackend:
    """Signs nobody in; refuses every sign-in from an address that has used up its failures
    (accounts.limits "signin.address"), before any password is checked. Failures are counted
    where the hub records them (accounts.services.signin_failure_record)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return None
        if limit_reached("signin.address", client_address(request)) is not None:
            # Read by the sign-in form to say why, and by the failure record. axes' own flag
            # makes its middleware answer 429 and keeps the refused try off the account's count
            # (a flood from one address should not lock its victims out as well).
            request.signin_address_limited = True  # type: ignore[attr-defined]
            request.axes_locked_out = True  # type: ignore[attr-defined]
            raise PermissionDenied("Too many failed sign-ins from this address.")
        return None


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock check, for every sign-in that comes with a request. Every sign-in from
    the web does (Django's sign-in forms pass theirs); one without (a test client's `login`,
    a shell) is nobody guessing over the network, and axes would refuse it with an error."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)  # type: ignore[no-any-return]
