"""What the API says about where a group serves and the links it keeps.

Kept apart from api.py (which holds the endpoints) so that file stays readable. Only public
fields are read: the places of a service area and the listing's own links, never the private
contact, and of the links only web addresses (a mailto: or javascript: link that came in
through an import would publish an address or run in whoever follows it).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from api.inputs import is_web_address
from directory.models import Organization

# A chapter of ZIP codes may serve hundreds of towns; an answer names at most this many per
# group and gives the full number in `service_area_count`.
SERVICE_AREAS_LISTED = 500


def service_areas_by_organization(orgs: Iterable[Organization]) -> dict[int, list[dict[str, Any]]]:
    """Organization id → its served places (slug, name, kind) by name, in one query."""
    ids = [o.pk for o in orgs]
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    through = Organization.service_areas.through
    rows = (
        through.objects.filter(organization_id__in=ids)
        .order_by("organization_id", "place__name", "place_id")
        .values_list("organization_id", "place__slug", "place__name", "place__kind")
    )
    for org_id, slug, name, kind in rows:
        found[org_id].append({"slug": slug, "name": name, "kind": kind})
    return found


def service_area_fields(areas: list[dict[str, Any]]) -> dict[str, Any]:
    return {"service_areas": areas[:SERVICE_AREAS_LISTED], "service_area_count": len(areas)}


def links_out(links: Any) -> list[dict[str, str]]:
    """The listing's labelled web links ("Support Request" → https://…), web addresses only."""
    kept = []
    for link in links or []:
        if not isinstance(link, dict):
            continue
        url, label = str(link.get("url") or ""), str(link.get("label") or "")
        if url and is_web_address(url):
            kept.append({"label": label, "url": url})
    return kept
