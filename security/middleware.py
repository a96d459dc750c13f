"""Per-request security: Secure cookies and Permissions-Policy on every answer, the second-factor
gate, and the record of a person's open sessions."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from security import selectors, services

Handler = Callable[[HttpRequest], HttpResponse]


class SecureResponse:
    """Cookies set on an answer to an HTTPS request are Secure whatever the settings say (a hub
    behind TLS never leaks its session over plain http), and every answer says which browser
    features the hub does not use."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# Paths a person part-way through signing in may still reach: the second-factor pages, the
# passkey ceremony, signing out, and the files those pages need.
_ALWAYS_OPEN = (
    "/static/",
    "/favicon.ico",
    "/security/verify/",
    "/security/webauthn/",
    "/accounts/logout/",
)
_OPEN_FOR_ENROLMENT = ("/security/",)
# How long a "this person needs nothing more" answer is trusted before it is checked again.
_RECHECK_SECONDS = 300
_CHECKED_KEY = "security.gate_checked"


class SecondFactorGate:
    """After the password, a person with a second factor must give it before anything else;
    a person who must have one (coordinators, admins of coalitions that ask it) and has none is
    sent to set one up first."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        path = request.path
        if path.startswith(_ALWAYS_OPEN):
            return self.get_response(request)
        checked = request.session.get(_CHECKED_KEY, 0)
        if time.time() - checked < _RECHECK_SECONDS:
            return self.get_response(request)
        if selectors.has_any_device(user):
            return self._refuse(request, "security:verify")
        if settings.SECOND_FACTOR_ENFORCED and selectors.second_factor_required(user):
            if path.startswith(_OPEN_FOR_ENROLMENT):
                return self.get_response(request)
            return self._refuse(request, "security:home")
        request.session[_CHECKED_KEY] = time.time()
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, where: str) -> HttpResponse:
        if request.path.startswith("/api/") or request.headers.get("HX-Request"):
            return HttpResponseForbidden(
                _("Confirm your sign-in with your second factor first."),
                content_type="text/plain",
            )
        target = reverse(where)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


# A session's "last seen" is written at most this often, so browsing costs no write per page.
_SEEN_EVERY_SECONDS = 60
_SEEN_KEY = "security.seen"


class SessionTracker:
    """Keeps the list of a person's sessions (browser, address, last seen) up to date, and gives
    coordinators' sessions their shorter life when it is first seen."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user: Any = request.user
        session = request.session
        if user.is_authenticated and session.session_key:
            seen = session.get(_SEEN_KEY)
            now = time.time()
            if not seen or seen[0] != session.session_key or now - seen[1] >= _SEEN_EVERY_SECONDS:
                first = not seen or seen[0] != session.session_key
                if first and selectors.is_coordinator(user):
                    session.set_expiry(settings.COORDINATOR_SESSION_SECONDS)
                session[_SEEN_KEY] = [session.session_key, now]
                services.session_seen(
                    user=user,
                    session_key=session.session_key,
                    user_agent=request.headers.get("User-Agent", ""),
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
        return response
