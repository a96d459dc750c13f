"""Import lists of groups into the directory: read, clean, place, then write all or nothing.

A bad row is reported with its line number and reason while the good rows are kept; the write
happens in one transaction so an interrupted import never leaves half a file behind.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction

from accounts.services import audit_record
from directory.models import IssueArea, Organization, OrganizationKind
from directory.readers import ReadError, Row, RowError, read
from directory.services import organization_create
from places.geocoder import get_geocoder
from places.models import Place

_url_ok = URLValidator(schemes=["http", "https"])
_email_ok = EmailValidator()
_FACEBOOK = re.compile(r"^(https?://)?([a-z0-9-]+\.)?(facebook|fb)\.(com|me)/", re.I)


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    created: int = 0
    unplaced: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (
            f"{self.source}: {self.rows} rows read, {verb} {self.created} organizations "
            f"({self.unplaced} without a known place), {len(self.errors)} rows rejected"
        )


def clean_url(value: str) -> str:
    """A usable http(s) URL from what people type ("www.x.org", "x.org/path"), or ""."""
    value = value.strip()
    if not value or " " in value:
        return ""
    if not re.match(r"^https?://", value, re.I):
        value = "https://" + value.lstrip("/")
    try:
        _url_ok(value)
    except ValidationError:
        return ""
    return value


def _float(value: Any, name: str) -> float | None:
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


def _place_for(fields: dict[str, Any], lat: float | None, lng: float | None) -> Place | None:
    geocoder = get_geocoder()
    result = None
    if lat is not None and lng is not None:
        result = geocoder.reverse(lat, lng)
    if result is None:
        parts = [fields.get(k, "") for k in ("city", "state", "country")]
        text = ", ".join(str(p) for p in parts if p)
        if not text and fields.get("postcode"):
            text = str(fields["postcode"])
        if text:
            result = geocoder.geocode(text)
            if result is None and fields.get("postcode"):
                result = geocoder.geocode(str(fields["postcode"]))
    if result is None:
        return None
    return Place.objects.filter(pk=result.place.id).first()


def _organization_kwargs(
    row: Row, match_issues: Callable[[str], list[IssueArea]]
) -> dict[str, Any]:
    f = row.fields
    name = str(f.get("name", "")).strip()
    if not name:
        raise ValueError("no name")
    if len(name) > Organization._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValueError("name is longer than 300 characters")
    lat = _float(f.get("latitude"), "latitude")
    lng = _float(f.get("longitude"), "longitude")
    if (lat is None) != (lng is None):
        raise ValueError("latitude and longitude must be given together")
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError(f"coordinates {lat}, {lng} are outside the globe")
    social: dict[str, str] = {}
    website = clean_url(str(f.get("website", "")))
    if website and _FACEBOOK.match(website):
        social["facebook"], website = website, ""
    facebook = clean_url(str(f.get("facebook", "")))
    if facebook:
        social.setdefault("facebook", facebook)
    email = str(f.get("email", "")).strip()
    try:
        _email_ok(email)
    except ValidationError:
        email = ""
    languages = [
        lang.strip() for lang in re.split(r"[,;/]", str(f.get("languages", ""))) if lang.strip()
    ]
    tag_text = " ".join(str(f.get(k, "")) for k in ("tags", "name", "description"))
    kind = OrganizationKind.LOCAL_GROUP
    lowered = name.lower()
    if "coalition" in lowered or "alliance" in lowered:
        kind = OrganizationKind.COALITION
    elif re.search(r"\bco-?op", lowered) or "cooperativ" in lowered:
        kind = OrganizationKind.COOP
    elif "network" in lowered:
        kind = OrganizationKind.NETWORK
    return {
        "name": name,
        "kind": kind,
        "description": str(f.get("description", ""))[:10000],
        "latitude": lat,
        "longitude": lng,
        "website": website,
        "social_links": social,
        "public_email": email,
        "public_phone": str(f.get("phone", ""))[:40],
        "languages": languages[:10],
        "issue_areas": match_issues(tag_text),
    }


def organizations_import(
    *,
    user: Any,
    path: Path,
    source: str,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file. Raises ReadError when the file as a whole cannot be read."""
    report = ImportReport(source=source, dry_run=dry_run)
    match_issues = _issue_matcher()
    prepared: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for item in read(path, fmt, mapping):
        if isinstance(item, RowError):
            report.rows += 1
            report.errors.append(item)
            continue
        report.rows += 1
        try:
            kwargs = _organization_kwargs(item, match_issues)
        except ValueError as exc:
            report.errors.append(RowError(item.line, str(exc)))
            continue
        prepared.append((item.line, item.fields, kwargs))
        if progress:
            progress(report.rows)
    with transaction.atomic():
        for line, fields, kwargs in prepared:
            place = _place_for(fields, kwargs["latitude"], kwargs["longitude"])
            if place is None:
                report.unplaced += 1
                report.warnings.append(RowError(line, "no known place for this row"))
            try:
                with transaction.atomic():
                    organization_create(user=user, home_place=place, as_admin=False, **kwargs)
            except ValidationError as exc:
                report.errors.append(RowError(line, "; ".join(exc.messages)))
                continue
            report.created += 1
        if dry_run:
            transaction.set_rollback(True)
        elif report.created:
            # Audit the import as a whole; each organization_create audited its own row.
            marker = Organization.objects.order_by("-pk").first()
            if marker is not None:
                audit_record(
                    actor=user,
                    action="directory.import",
                    target=marker,
                    data={"source": source, "file": path.name, "created": report.created},
                )
    return report


__all__ = ["ImportReport", "ReadError", "clean_url", "organizations_import"]
