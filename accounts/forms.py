"""Sign-up and sign-in forms: people are known by their email address."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from accounts.limits import limit_hit, normalized_email
from accounts.models import User

LOCKED_MESSAGE = _(
    "This account is locked after too many wrong passwords. If it is yours, we have mailed "
    "you a link that unlocks it; resetting your password unlocks it too."
)
ADDRESS_LIMITED_MESSAGE = _(
    "Too many failed sign-ins have come from your network. Try again in an hour, or reset "
    "your password."
)


class SignupForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    display_name = forms.CharField(
        label="Your name",
        max_length=150,
        help_text="Shown to groups you work with. A first name or a nickname is fine.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 8 characters; a few words strung together work well.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # Whether the address already has an account is never said here: the owner is mailed.
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            # Validators compare the password with the person's own email and name.
            probe = User(
                email=cleaned.get("email", ""), display_name=cleaned.get("display_name", "")
            )
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for email and forgiving about capital letters."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_username(self) -> str:
        return normalized_email(self.cleaned_data["username"])

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            # The same wording whether or not an account has this address: the lock counts
            # any address typed, and only a real owner gets the mail.
            if getattr(self.request, "signin_address_limited", False):
                raise forms.ValidationError(ADDRESS_LIMITED_MESSAGE, code="limited") from None
            if getattr(self.request, "axes_locked_out", False):
                raise forms.ValidationError(LOCKED_MESSAGE, code="locked") from None
            raise


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing one account at most a few times an hour however often the
    form is sent (the page after it reads the same either way)."""

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        to_email = args[4] if len(args) > 4 else kwargs["to_email"]
        if limit_hit("reset.email", normalized_email(to_email)) is None:
            super().send_mail(*args, **kwargs)
