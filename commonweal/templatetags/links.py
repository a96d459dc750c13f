"""Links for long lists: reversing a URL pattern for every row of a page costs more than the
row's own rendering, so the pattern is reversed once per prefix and the slug filled in."""

from functools import cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

_PLACEHOLDER = "slug-placeholder"


@cache
def _pattern(name: str, prefix: str) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
    return head, tail


def slug_url(name: str, slug: str) -> str:
    head, tail = _pattern(name, get_script_prefix())
    return f"{head}{slug}{tail}"


@register.filter
def organization_url(slug: str) -> str:
    """`{{ org.slug|organization_url }}` is `{% url 'organization' org.slug %}`."""
    return slug_url("organization", slug)


@register.filter
def place_url(slug: str) -> str:
    """`{{ place.slug|place_url }}` is `{% url 'place' place.slug %}`."""
    return slug_url("place", slug)
