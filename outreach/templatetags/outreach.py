from typing import Any

from django import template
from django.utils.translation import gettext as _

from directory.models import Organization, OrganizationAdmin
from directory.permissions import is_organization_admin
from outreach import permissions
from outreach.models import ClaimRequest, ClaimStatus, OutreachEntry

register = template.Library()


@register.inclusion_tag("outreach/_claim_panel.html", takes_context=True)
def claim_panel(context: dict[str, Any], org: Organization) -> dict[str, Any]:
    """The claim and outreach box on an organization's page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    can_coordinate = user is not None and permissions.can_coordinate_organization(user, org)
    entry = None
    if can_coordinate:
        q = permissions.entry_places_q(user)
        entries = OutreachEntry.objects.filter(organization=org)
        entry = (entries if q is None else entries.filter(q)).first()
    is_admin = user is not None and is_organization_admin(user, org)
    pending = (
        ClaimRequest.objects.filter(organization=org, status=ClaimStatus.PENDING).count()
        if is_admin
        else 0
    )
    return {
        "org": org,
        "pending_requests": pending,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "is_admin": is_admin,
        # Who decides on a claim: the listing's admins once it has any (not when it was claimed).
        "has_admins": not is_admin and OrganizationAdmin.objects.filter(organization=org).exists(),
        "can_coordinate": can_coordinate,
        "entry": entry,
    }


@register.inclusion_tag("outreach/_freshness_summary.html", takes_context=True)
def freshness_summary(context: dict[str, Any]) -> dict[str, Any]:
    """A one-bar freshness chart per place the person coordinates (up to three), on the
    outreach board; the stale page has the full chart with sub-places."""
    from directory import freshness
    from outreach import freshchart
    from outreach.views_stale import regions_for

    request = context.get("request")
    user = getattr(request, "user", None)
    bars = []
    for place in regions_for(user)[:3]:
        total = freshness.region_total(freshness.region_freshness(place))
        total.label = place.name
        bars.append((place, total))
    rows = [total for _, total in bars if total.total]
    return {
        "bars": bars,
        "chart": freshchart.freshness_svg(rows, title=_("Freshness of your places")),
        "legend": freshchart.legend(),
    }
