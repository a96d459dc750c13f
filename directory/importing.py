"""Turn rows of imported lists into listings: clean links, coordinates, a first guess at kind
and issue areas. The import itself (sources, records, runs) lives in the sources app."""

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from directory.models import IssueArea, Organization, OrganizationKind
from directory.services import issue_mask_of

_url_ok = URLValidator(schemes=["http", "https"])
_email_ok = EmailValidator()


def clean_url(value: str) -> str:
    """A usable http(s) URL from what people type ("www.x.org", "x.org/path"), or "".
    Any other scheme (javascript:, data:, file:) is refused, never stored."""
    value = value.replace("\x00", "").strip()
    if re.match(r"^[a-z][a-z0-9+.-]*:(?!\d)", value, re.I) and not re.match(
        r"^https?://", value, re.I
    ):
        return ""
    if not value or " " in value:
        return ""
    if not re.match(r"^https?://", value, re.I):
        value = "https://" + value.lstrip("/")
    try:
        _url_ok(value)
    except ValidationError:
        return ""
    return value


def parse_float(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a number") from None


def _issue_matcher() -> Callable[[str], list[IssueArea]]:
    areas = list(IssueArea.objects.all())
    keys = [(a, {a.slug.replace("-", " "), a.name.lower()}) for a in areas]

    def match(text: str) -> list[IssueArea]:
        words = text.lower().replace("_", " ").replace("-", " ")
        return [a for a, names in keys if any(n in words for n in names)]

    return match


def kind_for(name: str) -> str:
    """A first guess at the kind of group from its name; a coordinator or the group corrects it."""
    lowered = name.lower()
    if "coalition" in lowered or "alliance" in lowered:
        return OrganizationKind.COALITION
    if re.search(r"\bco-?op", lowered) or "cooperativ" in lowered:
        return OrganizationKind.COOP
    if "network" in lowered:
        return OrganizationKind.NETWORK
    return OrganizationKind.LOCAL_GROUP


def coordinates(fields: dict[str, Any]) -> tuple[float | None, float | None]:
    """Latitude and longitude from a row; ValueError names what is wrong with them."""
    lat = parse_float(fields.get("latitude"), "latitude")
    lng = parse_float(fields.get("longitude"), "longitude")
    if (lat is None) != (lng is None):
        raise ValueError("latitude and longitude must be given together")
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError(f"coordinates {lat}, {lng} are outside the globe")
    return lat, lng


def issue_matcher() -> Callable[[str], list[IssueArea]]:
    """Issue areas named in a text (their slug or name), a first tagging before any model runs."""
    return _issue_matcher()


def organization_values(
    *,
    name: str,
    slug: str,
    description: str = "",
    home_place_id: int | None = None,
    place_lft: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    website: str = "",
    facebook: str = "",
    email: str = "",
    phone: str = "",
    issue_areas: list[IssueArea] | None = None,
    languages: list[str] | None = None,
    links: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Column values of a listing for a group found in an imported list, for bulk inserts."""
    public_email = email
    if public_email:
        try:
            _email_ok(public_email)
        except ValidationError:
            public_email = ""
    name = name.replace("\x00", "")
    # Only http(s) links are kept: a "javascript:" link must never reach a page or the API.
    facebook = clean_url(facebook)[:500] if facebook else ""
    return {
        "name": name.strip()[:300],
        "slug": slug.replace("\x00", ""),
        "kind": kind_for(name),
        "description": description.replace("\x00", "")[:10000],
        "home_place_id": home_place_id,
        "place_lft": place_lft,
        "latitude": latitude,
        "longitude": longitude,
        "website": clean_url(website)[:500] if website else "",
        "social_links": {"facebook": facebook} if facebook else {},
        "public_email": public_email,
        "public_phone": phone[:40],
        "issue_mask": issue_mask_of(issue_areas or []),
        "languages": list(languages or []),
        "links": [
            {"label": link["label"], "url": url}
            for link in links or []
            if (url := clean_url(link.get("url", "")))
        ],
    }


def organization_build(**kwargs: Any) -> Organization:
    """An unsaved listing built from the same values (see `organization_values`)."""
    return Organization(**organization_values(**kwargs))


__all__ = [
    "clean_url",
    "coordinates",
    "issue_matcher",
    "kind_for",
    "organization_build",
    "organization_values",
]
