"""Standing request and offer pages from the links groups already publish.

The Mutual Aid Hub's sheet gives many groups a "Support Request" form and a "Support Offer" form.
The importer keeps them as labelled links on the listing; here each becomes the group's standing
request or offer page, open-ended (no amount) and public, pointing to the group's own form.
Re-running is harmless: a page is made once per group and link.
"""

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record
from directory.models import Organization
from solidarity.models import Kind, SupportOffer, SupportRequest

_HELP = re.compile(r"support|help|aid", re.IGNORECASE)
_REQUEST = re.compile(r"request|need|get help|ask", re.IGNORECASE)
_OFFER = re.compile(r"offer|volunteer|give", re.IGNORECASE)


def link_role(label: str) -> str | None:
    """ "request", "offer" or None for a link's label as the list named its column."""
    if not _HELP.search(label or ""):
        return None
    if _REQUEST.search(label):
        return "request"
    if _OFFER.search(label):
        return "offer"
    return None


@transaction.atomic
def standing_pages_sync(*, organization_ids: Iterable[int]) -> tuple[int, int]:
    """Make the missing standing pages of these listings; returns (requests, offers) made."""
    made_requests = made_offers = 0
    orgs = Organization.objects.filter(pk__in=list(organization_ids)).exclude(links=[])
    for org in orgs.select_related("home_place").iterator(chunk_size=500):
        for link in org.links or []:
            role = link_role(str(link.get("label", "")))
            url = str(link.get("url", ""))[:1000]
            if role is None or not url:
                continue
            model = SupportRequest if role == "request" else SupportOffer
            if model.objects.filter(organization=org, standing=True, link_url=url).exists():
                continue
            title = _("Ask %(org)s for support") if role == "offer" else _("Support %(org)s")
            posting = model.objects.create(
                organization=org,
                title=(title % {"org": org.name})[:200],
                description=_("This group takes %(what)s through its own form.")
                % {"what": _("offers of help") if role == "request" else _("requests for help")},
                kind=Kind.OTHER,
                standing=True,
                link_url=url,
                place=org.home_place,
                place_lft=org.home_place.lft if org.home_place else None,
                place_rgt=org.home_place.rgt if org.home_place else None,
            )
            audit_record(
                actor=None,
                action=f"solidarity.standing_{role}",
                target=posting,
                data={"organization": org.pk, "url": url},
            )
            if role == "request":
                made_requests += 1
            else:
                made_offers += 1
    return made_requests, made_offers
