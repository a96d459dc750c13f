"""`{% conversations_for organization %}` / `{% conversations_for call %}`: the conversations
attached to a group, coalition or call, for those pages to list with a one-line include."""

from typing import Any

from django import template

from actions.models import CallToAction
from commonground import selectors
from directory import permissions as directory_permissions

register = template.Library()


@register.inclusion_tag("commonground/_attached.html", takes_context=True)
def conversations_for(context: Any, target: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if isinstance(target, CallToAction):
        conversations = selectors.conversations_attached(user, call_id=target.pk)
        can_start = directory_permissions.is_organization_admin(user, target.coalition)
        start_query = f"call={target.pk}"
    else:
        conversations = selectors.conversations_attached(user, organization_id=target.pk)
        can_start = directory_permissions.is_organization_admin(user, target)
        start_query = f"organization={target.pk}"
    return {"conversations": conversations, "can_start": can_start, "start_query": start_query}
