"""Checks on what API clients send that the schemas cannot express."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_web_address = URLValidator(schemes=["http", "https"])


def is_web_address(value: str) -> bool:
    """Only http(s) links: a javascript: or data: link would run in whoever follows it."""
    try:
        _web_address(value)
    except ValidationError:
        return False
    return True


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in a value (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False
