"""Writes through the API share the hub's rate limits (accounts.limits "api.write"); past the
limit django-ninja answers 429 with Retry-After."""

import threading
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.throttling import BaseThrottle

from accounts.limits import Limited, client_address, limit_hit


class WriteThrottle(BaseThrottle):
    """One instance serves every request to an operation, so what it found for the request in
    hand is kept per thread for `wait()`, which ninja asks next without the request."""

    def __init__(self) -> None:
        self._found = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        user: Any = request.user
        who = f"user:{user.pk}" if user.is_authenticated else client_address(request)
        hit: Limited | None = limit_hit("api.write", who)
        self._found.hit = hit
        return hit is None

    def wait(self) -> float | None:
        hit = getattr(self._found, "hit", None)
        return float(hit.retry_after) if hit is not None else None


class TooManyOut(Schema):
    detail: str


WRITES: list[BaseThrottle] = [WriteThrottle()]
# For the API's description: a write may be answered 429, with Retry-After in seconds.
TOO_MANY: dict[int, Any] = {429: TooManyOut}
