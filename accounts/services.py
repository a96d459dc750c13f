"""Writes about people: the audit log, and signing up by email.

Sign-up is answered the same way whether or not the address has an account. A new address gets
an inactive account and a mailed link that opens it; an address that already has an account gets
a note telling its owner so, with links to sign in and to reset the password. Nobody learns from
the hub who has an account.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event to the audit log. Called by services, never by views."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data or {},
    )


# One sign-up mail per address in this window, so the form cannot flood anyone's inbox.
SIGNUP_COOLDOWN = timedelta(minutes=10)
_MAILED = ("user.signup_mailed", "user.signup_exists_mailed")


class _SignupTokens(PasswordResetTokenGenerator):
    """Like password-reset links (they die when the password changes or the person signs in),
    under a salt of their own so one kind of link never works as the other."""

    key_salt = "accounts.signup.SignupTokens"


signup_tokens = _SignupTokens()


def _mailed_recently(user: User) -> bool:
    return AuditEvent.objects.filter(
        action__in=_MAILED,
        target_type=user._meta.label_lower,
        target_id=str(user.pk),
        created_at__gte=timezone.now() - SIGNUP_COOLDOWN,
    ).exists()


def _send(*, to: str, subject: str, template: str, context: dict[str, Any], purpose: str) -> Any:
    """Through Django's mail API (the outbox backend keeps it): returns the outbox record the
    backend attached, whose `state` says whether the mail left, or None."""
    context = {"site_name": getattr(settings, "SITE_NAME", "Commonweal"), **context}
    message = EmailMessage(subject=subject, body=render_to_string(template, context), to=[to])
    message.outbox_purpose = purpose  # type: ignore[attr-defined]
    message.send()
    return getattr(message, "outbox_record", None)


def confirm_url(user: User, *, base_url: str, next_url: str = "") -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("accounts:signup_confirm", args=[uid, signup_tokens.make_token(user)])
    return base_url.rstrip("/") + path + (f"?{urlencode({'next': next_url})}" if next_url else "")


@transaction.atomic
def user_signup_request(
    *, email: str, password: str, display_name: str = "", base_url: str, next_url: str = ""
) -> Any:
    """Start a sign-up. Returns the outbox record of the mail (or None), the same either way."""
    email = email.strip().lower()
    # Hashed whether or not it is used, so the answer takes as long either way.
    hashed = make_password(password)
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is not None and _mailed_recently(existing):
        return None
    if existing is not None and not existing.pending_signup:
        record = _send(
            to=existing.email,
            subject=_("You already have an account on %(site)s")
            % {"site": getattr(settings, "SITE_NAME", "Commonweal")},
            template="accounts/signup_exists_email.txt",
            context={
                "login_url": base_url.rstrip("/") + reverse("accounts:login"),
                "reset_url": base_url.rstrip("/") + reverse("accounts:password_reset"),
            },
            purpose="signup.exists",
        )
        audit_record(actor=None, action="user.signup_exists_mailed", target=existing)
        return record
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    None,
                    display_name=display_name.strip(),
                    is_active=False,
                    pending_signup=True,
                )
        except IntegrityError:
            # The same address signed up a moment ago in another request: that one mails.
            return None
    else:
        # A sign-up that was never confirmed: the latest one wins, and its earlier link dies
        # with the old password.
        user = existing
        user.display_name = display_name.strip()
    user.password = hashed
    user.save(update_fields=["password", "display_name"])
    record = _send(
        to=user.email,
        subject=_("Confirm your account on %(site)s")
        % {"site": getattr(settings, "SITE_NAME", "Commonweal")},
        template="accounts/signup_confirm_email.txt",
        context={"url": confirm_url(user, base_url=base_url, next_url=next_url), "user": user},
        purpose="signup.confirm",
    )
    audit_record(actor=None, action="user.signup_mailed", target=user)
    return record


def signup_pending_user(uidb64: str, token: str) -> User:
    """The account a confirmation link names; ValidationError if the link is not (or no
    longer) good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError) as error:
        raise ValidationError(_("This link is not valid.")) from error
    user = User.objects.filter(pk=pk, pending_signup=True).first()
    if user is None or not signup_tokens.check_token(user, token):
        raise ValidationError(
            _("This link has expired or was already used. Sign in, or sign up again.")
        )
    return user


@transaction.atomic
def user_signup_confirm(*, uidb64: str, token: str) -> User:
    """Following the mailed link proves the address: the account opens."""
    user = signup_pending_user(uidb64, token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.pending_signup:
        raise ValidationError(_("This link has expired or was already used."))
    user.is_active, user.pending_signup = True, False
    user.save(update_fields=["is_active", "pending_signup"])
    audit_record(actor=user, action="user.signup", target=user)
    return user
