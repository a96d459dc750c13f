"""Where links in mail, feeds and webhooks point, and which webhook addresses are refused.

Mail and background work have no request to learn the hub's address from, so SITE_URL says
it, scheme and port included. Feeds answer a request and use it when SITE_URL is unset, so a
hub on http://127.0.0.1:8000 hands out links that work there.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

FALLBACK = "http://localhost:8000"


def configured_site_url() -> str:
    """SITE_URL from the settings (or the environment), without a trailing slash; may be ""."""
    return (getattr(settings, "SITE_URL", "") or os.environ.get("SITE_URL", "")).strip().rstrip("/")


def site_url() -> str:
    return configured_site_url() or FALLBACK


def public_url(path: str, request: HttpRequest | None = None) -> str:
    """An absolute link to `path` (which starts with /) on the hub."""
    base = configured_site_url()
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return FALLBACK + path


def public_host(request: HttpRequest | None = None) -> str:
    """The hub's host name, for identifiers such as iCalendar UIDs that must stay the same."""
    return urlsplit(public_url("/", request)).hostname or "localhost"


def private_host(host: str) -> bool:
    """Whether a host name is, or resolves to, a loopback, private, link-local or reserved
    address: places a webhook must not reach from inside the hub's network."""
    host = host.strip("[]")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    return any(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified
        for ip in addresses
    )
