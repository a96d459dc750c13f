from django import template

from directory.models import Organization
from sources.selectors import FieldSource, listing_field_sources

register = template.Library()


@register.simple_tag
def listing_sources(org: Organization) -> list[FieldSource]:
    """Where each field a listing page shows came from (empty when nothing was recorded)."""
    return listing_field_sources(org)
