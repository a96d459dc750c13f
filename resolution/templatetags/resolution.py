from typing import Any

from django import template

from directory.models import Organization
from resolution.permissions import can_resolve
from resolution.selectors import MergedRecord, merged_from

register = template.Library()


@register.simple_tag
def merged_records(org: Organization) -> list[MergedRecord]:
    """The records an organization was built from (empty for a listing of one record)."""
    records = merged_from(org)
    return records if len(records) > 1 else []


@register.simple_tag(takes_context=True)
def may_resolve(context: dict[str, Any], org: Organization) -> bool:
    request = context.get("request")
    return bool(request is not None and can_resolve(request.user, org))
