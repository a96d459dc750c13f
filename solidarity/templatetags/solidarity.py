"""Support shown on other apps' pages without those apps importing this one: the pages load
these tags, so the Python imports keep flowing one way."""

from typing import Any

from django import template

from solidarity import permissions, selectors, selectors_ties

register = template.Library()


@register.inclusion_tag("solidarity/_beside_call.html", takes_context=True)
def support_beside_call(context: dict[str, Any], call: Any) -> dict[str, Any]:
    """Campaigns and needs tied to a call to action, as the viewer may see them."""
    user = context.get("user")
    needs = list(selectors.requests_for_user(user).filter(call=call, state="open")[:10])
    return {"campaigns": selectors.campaigns_for_call(call), "needs": needs}


@register.inclusion_tag("solidarity/_ties.html", takes_context=True)
def support_ties(context: dict[str, Any], org: Any) -> dict[str, Any]:
    """Whom a group helped and who helped it, as both groups chose to show; its admins also
    get the switch that keeps these off the page."""
    user = context.get("user")
    admin = permissions.is_admin(user, org)
    shows = selectors_ties.shows_ties(org)
    helped, helped_by = selectors_ties.organization_ties(org) if shows else ([], [])
    return {
        "org": org,
        "ties_helped": helped,
        "ties_helped_by": helped_by,
        "admin": admin,
        "shows": shows,
        "csrf_token": context.get("csrf_token"),
    }
