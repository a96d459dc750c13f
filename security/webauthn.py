"""The hub's WebAuthn relying party: the host the page was served from."""

from urllib.parse import urlsplit

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper


class HubWebAuthnHelper(WebAuthnHelper):
    def get_relying_party_domain(self) -> str:
        # get_host() is checked against ALLOWED_HOSTS, so this is one of the hub's own names.
        return self.request.get_host().rsplit(":", 1)[0].strip("[]")

    def get_allowed_origins(self) -> list[str]:
        origins = {f"{self.request.scheme}://{self.request.get_host()}"}
        if settings.SITE_URL:
            parts = urlsplit(settings.SITE_URL)
            origins.add(f"{parts.scheme}://{parts.netloc}")
        return sorted(origins)
