from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture(autouse=True)
def _second_factor_enforced(settings: Any) -> None:
    settings.SECOND_FACTOR_ENFORCED = True


def signed_in(user: Any, **headers: Any) -> Client:
    """A browser that has given the password (the real sign-in form), not yet a second factor."""
    client = Client(**headers)
    response = client.post(
        "/accounts/login/", {"username": user.email, "password": "a-long-passphrase"}
    )
    assert response.status_code == 302, response.content[:300]
    return client


def app_for(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
