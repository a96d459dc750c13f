"""`{% unread_notices %}`: how many notices the signed-in person has not read, for the nav."""

from typing import Any

from django import template

from coalitions.notices import notices_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notices(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    # One COUNT on the (user, read_at) index per page for signed-in people.
    return notices_for_user(user).filter(read_at__isnull=True).count()
