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
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.limits import limit_hit, normalized_email
from accounts.models import AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log. Called by services, never by views. `target` is None
    only where no record exists (a failed sign-in for an address with no account)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
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
                    email_verified_at=None,
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
    # The link came by mail to this address, so the address is proved too.
    user.email_verified_at = timezone.now()
    user.save(update_fields=["is_active", "pending_signup", "email_verified_at"])
    audit_record(actor=user, action="user.signup", target=user)
    return user


# Sign-ins, lockouts and email verification ------------------------------------------------

# Unlock links work this long; a lock lifts by itself after settings.AXES_COOLOFF_TIME anyway.
UNLOCK_LINK_AGE = timedelta(days=2)
VERIFY_LINK_AGE = timedelta(days=7)
_UNLOCK_SALT = "accounts.unlock"
_VERIFY_SALT = "accounts.verify"


def _site_url(base_url: str = "") -> str:
    return (getattr(settings, "SITE_URL", "") or base_url or "http://localhost:8000").rstrip("/")


def _client(address: str, user_agent: str) -> dict[str, str]:
    # The address and browser are what tell an owner "that was not me"; the password typed is
    # never passed to these services at all.
    return {"address": address, "user_agent": user_agent[:300]}


def signin_record(*, user: User, address: str, user_agent: str) -> AuditEvent:
    """A successful sign-in, in the audit log."""
    return audit_record(
        actor=user, action="user.signed_in", target=user, data=_client(address, user_agent)
    )


def signin_failure_record(
    *, email: str, address: str, user_agent: str, reason: str = "wrong_password"
) -> AuditEvent:
    """A refused sign-in: in the audit log (under the account if the address has one), and
    counted against the client's address (accounts.limits "signin.address")."""
    email = normalized_email(email)
    limit_hit("signin.address", address)
    user = User.objects.filter(email__iexact=email).first() if email else None
    return audit_record(
        actor=None,
        action="user.signin_failed",
        target=user,
        data={**_client(address, user_agent), "email": email[:254], "reason": reason},
    )


def unlock_url(user: User, *, base_url: str = "") -> str:
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=_UNLOCK_SALT, compress=True)
    return _site_url(base_url) + reverse("accounts:unlock", args=[token])


def _lock_mailed_recently(user: User) -> bool:
    """A lock is mailed about once: not again until it is lifted or has run out."""
    last = (
        AuditEvent.objects.filter(
            action__in=("user.locked_out", "user.unlocked"),
            target_type=user._meta.label_lower,
            target_id=str(user.pk),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None or last.action != "user.locked_out":
        return False
    cool_off = timedelta(hours=float(getattr(settings, "AXES_COOLOFF_TIME", 24) or 24))
    return last.created_at >= timezone.now() - cool_off


@transaction.atomic
def signin_lockout_notify(
    *, email: str, address: str, user_agent: str, base_url: str = ""
) -> AuditEvent | None:
    """The account `email` names has just been locked by too many wrong passwords: tell its
    owner, with a link that lifts the lock. An address without an account is locked all the
    same (so the page gives nothing away) but nobody is mailed."""
    user = User.objects.select_for_update().filter(email__iexact=email.strip()).first()
    if user is None or not user.is_active or _lock_mailed_recently(user):
        return None
    site = getattr(settings, "SITE_NAME", "Commonweal")
    _send(
        to=user.email,
        subject=_("Your account on %(site)s is locked") % {"site": site},
        template="accounts/lockout_email.txt",
        context={
            "user": user,
            "failures": getattr(settings, "AXES_FAILURE_LIMIT", 20),
            "address": address,
            "unlock_url": unlock_url(user, base_url=base_url),
            "reset_url": _site_url(base_url) + reverse("accounts:password_reset"),
        },
        purpose="signin.locked",
    )
    return audit_record(
        actor=None, action="user.locked_out", target=user, data=_client(address, user_agent)
    )


def unlock_user(token: str) -> User:
    """The account an unlock link names; ValidationError if the link is not (or no longer) good."""
    try:
        data = signing.loads(token, salt=_UNLOCK_SALT, max_age=UNLOCK_LINK_AGE)
    except signing.BadSignature as error:
        raise ValidationError(_("This link is not valid or has expired.")) from error
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise ValidationError(_("This link is not valid or has expired."))
    return user


def _unlock(user: User) -> None:
    from axes.utils import reset

    reset(username=user.email.lower())


@transaction.atomic
def signin_unlock(*, token: str, address: str) -> User:
    """Following the mailed link lifts the lock on the account (its owner read the mail)."""
    user = unlock_user(token)
    _unlock(user)
    audit_record(actor=None, action="user.unlocked", target=user, data={"address": address})
    return user


def signin_lock_clear(*, user: User, reason: str) -> None:
    """A password reset proves the mailbox too, so it lifts any lock (called once the new
    password is saved)."""
    _unlock(user)
    audit_record(actor=user, action="user.unlocked", target=user, data={"reason": reason})


def verify_url(user: User, *, base_url: str = "") -> str:
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=_VERIFY_SALT, compress=True)
    return _site_url(base_url) + reverse("accounts:verify", args=[token])


def user_verification_send(*, user: User, base_url: str = "") -> Any:
    """Mail the person a link that proves they read mail at their address. Once per
    SIGNUP_COOLDOWN, so the button cannot flood their inbox."""
    if not user.is_authenticated or user.email_verified:
        raise ValidationError(_("Your email address is already confirmed."))
    recent = AuditEvent.objects.filter(
        action="user.verification_mailed",
        target_type=user._meta.label_lower,
        target_id=str(user.pk),
        created_at__gte=timezone.now() - SIGNUP_COOLDOWN,
    )
    if recent.exists():
        raise ValidationError(
            _("We sent you a link a few minutes ago. Look for it in your mail first.")
        )
    record = _send(
        to=user.email,
        subject=_("Confirm your email address on %(site)s")
        % {"site": getattr(settings, "SITE_NAME", "Commonweal")},
        template="accounts/verify_email.txt",
        context={"user": user, "url": verify_url(user, base_url=base_url)},
        purpose="user.verify",
    )
    audit_record(actor=user, action="user.verification_mailed", target=user)
    return record


def verification_user(token: str) -> User:
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=VERIFY_LINK_AGE)
    except signing.BadSignature as error:
        raise ValidationError(_("This link is not valid or has expired.")) from error
    # A link mailed to an earlier address proves nothing about the current one.
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise ValidationError(_("This link is not valid or has expired."))
    return user


@transaction.atomic
def user_email_verify(*, token: str) -> User:
    user = User.objects.select_for_update().get(pk=verification_user(token).pk)
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(actor=user, action="user.email_verified", target=user)
    return user
