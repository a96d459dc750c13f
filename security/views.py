"""Pages for second factors and sessions: set up, use, remove; see and end one's sessions; a
coalition's rule for its admins."""

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import selectors, services
from security.devices import describe
from security.forms import CoalitionRuleForm, CodeForm, RemoveForm, SessionForm, TOTPConfirmForm


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@login_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    factors = selectors.second_factors(user)
    required = selectors.second_factor_required(user)
    context = {
        "factors": [(d, d._meta.model_name) for d in factors],
        "required": required,
        "must_enrol": required and not factors,
        "recovery_left": selectors.recovery_codes_left(user),
        "coalitions": selectors.administered_coalitions(user),
        "next": _safe_next(request, ""),
    }
    return render(request, "security/home.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    next_url = _safe_next(request, "/")
    if user.is_verified() or not selectors.has_any_device(user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.second_factor_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(next_url)
        form.add_error("token", _("That code did not work. Try again, or use a recovery code."))
    kinds = {d._meta.model_name for d in selectors.second_factors(user)}
    context = {
        "form": form,
        "next": next_url,
        "has_app": "totpdevice" in kinds,
        "has_key": "webauthncredential" in kinds,
    }
    return render(request, "security/verify.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_add(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        if request.method == "POST":
            form = TOTPConfirmForm(request.POST)
            if form.is_valid():
                try:
                    services.totp_device_confirm(
                        request=request,
                        device_id=form.cleaned_data["device"],
                        token=form.cleaned_data["token"],
                    )
                except ValidationError as error:
                    form.add_error("token", error)
                else:
                    messages.success(request, _("Your authenticator app is set up."))
                    return redirect(_safe_next(request, "security:home"))
            device = TOTPDevice.objects.filter(
                user=user, pk=form.data.get("device"), confirmed=False
            ).first()
            if device is None:
                return redirect("security:totp_add")
        else:
            device = services.totp_device_start(user=user)
            form = TOTPConfirmForm(initial={"device": device.pk})
    except PermissionDenied:
        return redirect("security:verify")
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "device": device,
        # segno writes the SVG itself from the secret; no user text goes into it.
        "qr_svg": mark_safe(qr.svg_inline(scale=4, title=_("QR code for your authenticator app"))),  # noqa: S308
        "secret": _spaced(device.bin_key),
        "next": _safe_next(request, ""),
    }
    return render(request, "security/totp_add.html", context)


def _spaced(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.recovery_codes_create(user=request.user)
    except PermissionDenied:
        return redirect("security:verify")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("security:home")
    return render(request, "security/recovery_codes.html", {"codes": codes})


@login_required
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return redirect("security:home")
    try:
        services.second_factor_remove(user=request.user, persistent_id=form.cleaned_data["device"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Removed."))
    return redirect("security:home")


@never_cache
@login_required
@require_http_methods(["GET"])
def sessions(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "session": tracked,
            "device": describe(tracked.user_agent),
            "current": tracked.session_key == request.session.session_key,
        }
        for tracked in selectors.sessions_for_user(request.user)
    ]
    return render(request, "security/sessions.html", {"rows": rows})


@login_required
@require_POST
def session_sign_out(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST)
    if not form.is_valid():
        return redirect("security:sessions")
    services.session_sign_out(user=request.user, session_id=form.cleaned_data["session"])
    messages.success(request, _("That session is signed out."))
    return redirect("security:sessions")


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.sessions_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("You are signed out everywhere."))
    return redirect("accounts:login")


@login_required
@require_POST
def coalition_rule(request: HttpRequest, slug: str) -> HttpResponse:
    form = CoalitionRuleForm(request.POST)
    coalition = next(
        (
            org
            for org, _required in selectors.administered_coalitions(request.user)
            if org.slug == slug
        ),
        None,
    )
    if coalition is None or not form.is_valid():
        raise PermissionDenied
    try:
        services.coalition_second_factor_set(
            user=request.user, organization=coalition, required=form.cleaned_data["required"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("security:home")
