"""Rate limits: how many times one address or one person may do a thing in a window.

Counts are kept by django-ratelimit in the "limits" cache, which every web process shares (the
database unless LIMITS_CACHE_URL names Redis). Sign-in lockout per account is django-axes'
job (see settings); this module gives it the normalised address and email it counts by.

The rates, and why:
- signin.address: 50 failed sign-ins an hour from one address. Above any honest use, even a
  union hall's shared connection at a training; it stops one machine trying a password
  against many accounts, which the per-account lockout alone would not.
- signup.address: 20 sign-ups an hour from one address (a workshop signs people up together;
  a script making accounts by the hundred is stopped).
- reset.address: 20 password-reset requests an hour from one address; reset.email: 3 mails
  an hour to one account, however often the form is sent (the page answers the same either way).
- claim.user / claim.address: 10 claim mails or requests an hour per person, 30 per address:
  each one mails a group or its coordinators.
- introduction.user: 20 introductions a day per person: each one mails two groups' admins.
- api.write: 60 writes a minute per person (or address) through the API.
Settings may override any of them with RATE_LIMITS = {"signup.address": "5/h", ...}.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

DEFAULT_RATES: dict[str, str] = {
    "signin.address": "50/h",
    "signup.address": "20/h",
    "reset.address": "20/h",
    "reset.email": "3/h",
    "claim.user": "10/h",
    "claim.address": "30/h",
    "introduction.user": "20/d",
    "api.write": "60/m",
}


def rate(action: str) -> str:
    return {**DEFAULT_RATES, **getattr(settings, "RATE_LIMITS", {})}[action]


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's own, or, behind TRUSTED_PROXY_COUNT proxies,
    the one the outermost trusted proxy saw (entries further left could be made up)."""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def normalized_email(value: Any) -> str:
    """The form an address is counted under: "  Ann@Example.ORG " and "ann@example.org" are one."""
    return str(value or "").strip().lower()


def signin_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """django-axes counts failures under this name, so changing capitals or adding spaces to
    the email does not start a fresh count."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username")
    return normalized_email(value) or None


@dataclass(frozen=True)
class Limited:
    action: str
    retry_after: int  # seconds until the window ends


def _usage(action: str, value: str, *, increment: bool) -> dict[str, Any] | None:
    # django-ratelimit reads nothing from the request when the key is a function and every
    # method counts, so services without a request can count too.
    return get_usage(  # type: ignore[no-any-return]
        None,
        group=action,
        key=lambda _group, _request: value,
        rate=rate(action),
        increment=increment,
    )


def limit_hit(action: str, value: str) -> Limited | None:
    """Count one more `action` by `value`; say so if that goes over the limit."""
    usage = _usage(action, value, increment=True)
    if usage is not None and usage["should_limit"]:
        return Limited(action, max(1, int(usage["time_left"])))
    return None


def limit_reached(action: str, value: str) -> Limited | None:
    """Whether `value` has used up `action` already, without counting this look."""
    usage = _usage(action, value, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        return Limited(action, max(1, int(usage["time_left"])))
    return None


def limited_page(request: HttpRequest, limited: Limited) -> HttpResponse:
    minutes = max(1, (limited.retry_after + 59) // 60)
    response = render(request, "accounts/limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def limit_posts(action: str, *, by: tuple[str, ...] = ("address",)) -> Callable[..., Any]:
    """Count each form sent to a view, per address and/or per signed-in person, and answer
    429 past the limit. Reading a page is never limited."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                for who in by:
                    if who == "user" and request.user.is_authenticated:
                        value = f"user:{request.user.pk}"
                    elif who == "user":
                        continue
                    else:
                        value = client_address(request)
                    hit = limit_hit(f"{action}.{who}", value)
                    if hit is not None:
                        return limited_page(request, hit)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes calls this for a sign-in refused because the account is locked. The page
    itself (the form says why) is kept, with the status that tells scripts to stop."""
    if original_response is None:
        original_response = HttpResponse(status=429)
    original_response.status_code = 429
    return original_response
