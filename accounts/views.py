"""Sign up, sign in and out, password reset, and the person's own account page."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import EmailAuthenticationForm, LimitedPasswordResetForm, SignupForm
from accounts.limits import client_address, limit_posts
from accounts.services import signup_pending_user, user_signup_confirm, user_signup_request


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
@limit_posts("signup")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:me")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = user_signup_request(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            display_name=form.cleaned_data["display_name"],
            base_url=request.build_absolute_uri("/"),
            next_url=_safe_next(request) or "",
        )
        # The mail was tried when the sign-up committed; the next page says how it fared.
        # "direct": the hub hands mail to a backend that keeps no outbox (tests, consoles).
        state = str(getattr(record, "state", "") or "direct")
        request.session[_SENT_KEY] = {"email": form.cleaned_data["email"], "state": state}
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)})


_SENT_KEY = "accounts.signup_sent"


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    sent = request.session.get(_SENT_KEY)
    if not sent:
        return redirect("accounts:signup")
    return render(request, "accounts/signup_sent.html", sent)


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The mailed link: a page with one button (mail scanners that open links change
    nothing), which opens the account and signs the person in."""
    try:
        pending = signup_pending_user(uidb64, token)
        if request.method == "POST":
            user = user_signup_confirm(uidb64=uidb64, token=token)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.pop(_SENT_KEY, None)
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect(_safe_next(request) or "accounts:me")
    except ValidationError as error:
        context = {"error": " ".join(error.messages)}
        return render(request, "accounts/signup_confirm.html", context, status=400)
    return render(
        request,
        "accounts/signup_confirm.html",
        {"pending": pending, "next": _safe_next(request)},
    )


login_view = auth_views.LoginView.as_view(
    template_name="accounts/login.html",
    authentication_form=EmailAuthenticationForm,
    redirect_authenticated_user=True,
)
logout_view = auth_views.LogoutView.as_view()

# Django's own password reset, pointed at this app's namespaced pages.
password_reset = limit_posts("reset")(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        form_class=LimitedPasswordResetForm,
        email_template_name="accounts/password_reset_email.txt",
        subject_template_name="accounts/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)


class _PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response = super().form_valid(form)
        # The reset link came by mail, as an unlock link would: the owner is back in charge.
        services.signin_lock_clear(user=form.user, reason="password_reset")
        return response


password_reset_confirm = _PasswordResetConfirm.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


@require_GET
@login_required
def me(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The person's own roles, read through their reverse relations so nobody else's show.
    admin_of = user.organization_roles.select_related("organization").order_by(  # type: ignore[union-attr]
        "organization__name"
    )
    regions = user.regional_roles.select_related("place").order_by("place__name")  # type: ignore[union-attr]
    return render(request, "accounts/me.html", {"admin_of": admin_of, "regions": regions})


@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the lockout mail: a page with one button (opening the link alone, as mail
    scanners do, changes nothing)."""
    try:
        user = services.unlock_user(token)
        if request.method == "POST":
            services.signin_unlock(token=token, address=client_address(request))
            messages.success(request, _("Your account is unlocked. You can sign in again."))
            return redirect("accounts:login")
    except ValidationError as error:
        context = {"error": " ".join(error.messages)}
        return render(request, "accounts/unlock.html", context, status=400)
    return render(request, "accounts/unlock.html", {"email": user.email})


@require_POST
@login_required
def verify_send(request: HttpRequest) -> HttpResponse:
    try:
        services.user_verification_send(
            user=request.user,  # type: ignore[arg-type]
            base_url=request.build_absolute_uri("/"),
        )
        messages.success(
            request,
            _("We have mailed you a link. Open it to confirm your address."),
        )
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    return redirect("accounts:me")


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification mail; one button, as with every mailed link."""
    try:
        user = services.verification_user(token)
        if request.method == "POST":
            services.user_email_verify(token=token)
            messages.success(request, _("Your email address is confirmed."))
            return redirect("accounts:me" if request.user.is_authenticated else "accounts:login")
    except ValidationError as error:
        context = {"error": " ".join(error.messages)}
        return render(request, "accounts/verify.html", context, status=400)
    return render(request, "accounts/verify.html", {"email": user.email})
