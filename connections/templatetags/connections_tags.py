"""`{% whom_to_meet_link org %}`: the link to a group's or coalition's suggestions, for those
who may see them (its admins and the coordinators of its place). Pages of the apps below this
one load it in their templates, so none of them imports this app."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from connections.permissions import can_see_suggestions

register = template.Library()


@register.simple_tag(takes_context=True)
def whom_to_meet_link(context: dict[str, Any], org: Any) -> SafeString | str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_see_suggestions(user, org):
        return ""
    if org.is_coalition:
        url, label = reverse("connections:coalition", args=[org.slug]), _("Whom to invite")
    else:
        url, label = reverse("connections:group", args=[org.slug]), _("Whom to meet")
    return format_html('<a class="button button-quiet" href="{}">{}</a>', url, label)
