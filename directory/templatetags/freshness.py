from django import template

from directory.freshness import Freshness, freshness_of
from directory.models import Organization

register = template.Library()


@register.simple_tag
def org_freshness(org: Organization) -> Freshness:
    """`{% org_freshness org as fresh %}`: the label and fading level of a listing."""
    return freshness_of(org)


@register.filter
def get_count(counts: dict[str, int], key: str) -> str:
    """`{{ row.counts|get_count:"never" }}`: one bucket's count, with thousands separators."""
    return f"{counts.get(key, 0):,}"
