"""Every write to the directory goes through here: permission check, write, version bump, audit.

`user=None` means the hub itself (sample data, imports run from the command line); such writes
skip the permission check but are still audited.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify

from accounts.permissions import require_verified
from accounts.services import audit_record
from directory import permissions
from directory.models import (
    CONTACT_NOTES_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    DirectoryState,
    IssueArea,
    IssueAreaOrigin,
    IssueLink,
    Organization,
    OrganizationAdmin,
    OrganizationKind,
    OrganizationStatus,
    PrivateContact,
    Standing,
)
from places.models import Place

# Fields an organization's admins may change on its listing.
LISTING_FIELDS = frozenset(
    {
        "name",
        "kind",
        "description",
        "home_place",
        "latitude",
        "longitude",
        "website",
        "social_links",
        "public_email",
        "public_phone",
        "languages",
        "status",
        "last_confirmed_at",
    }
)
# Bits 0..62 of a signed 64-bit mask; bit 63 would make masks negative on some databases.
MAX_ISSUE_BITS = 63


def directory_touch() -> int:
    """Tell per-process caches (map index, counts) that listings changed; return the version."""
    updated = DirectoryState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        DirectoryState.objects.get_or_create(pk=1, defaults={"version": 1})
    return int(DirectoryState.objects.values_list("version", flat=True).get(pk=1))


def _require_user(user: Any, allowed: bool, message: str) -> None:
    if user is not None and not allowed:
        raise PermissionDenied(message)


def _home_place_check(home_place: Place | None) -> None:
    if home_place is not None and home_place.is_overlay:
        raise ValidationError(
            {"home_place": "Choose a country, state, county or town, not a region made of several."}
        )


def _check_length(field: str, value: Any, limit: int) -> None:
    # The columns are unbounded text; this is where every way in (pages, API, scripts) meets.
    if isinstance(value, str) and len(value) > limit:
        raise ValidationError(
            {field: f"Keep this to {limit:,} characters or fewer (it has {len(value):,})."}
        )


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:120] or "organization"
    slug, n = base, 1
    taken = (
        Organization.objects.exclude(pk=exclude_pk) if exclude_pk else Organization.objects.all()
    )
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _resolve_issue_areas(issue_areas: Iterable[IssueArea | str]) -> list[IssueArea]:
    result: list[IssueArea] = []
    slugs: list[str] = []
    for item in issue_areas:
        if isinstance(item, IssueArea):
            result.append(item)
        else:
            slugs.append(item)
    if slugs:
        found = {ia.slug: ia for ia in IssueArea.objects.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise ValidationError({"issue_areas": f"Unknown issue areas: {', '.join(missing)}."})
        result.extend(found[s] for s in slugs)
    return result


def issue_mask_of(issue_areas: Iterable[IssueArea]) -> int:
    mask = 0
    for area in issue_areas:
        mask |= 1 << area.bit
    return mask


@transaction.atomic
def organization_create(
    *,
    user: Any,
    name: str,
    kind: str = OrganizationKind.LOCAL_GROUP,
    home_place: Place | None = None,
    description: str = "",
    issue_areas: Iterable[IssueArea | str] = (),
    latitude: float | None = None,
    longitude: float | None = None,
    website: str = "",
    social_links: dict[str, str] | None = None,
    public_email: str = "",
    public_phone: str = "",
    languages: list[str] | None = None,
    status: str = OrganizationStatus.ACTIVE,
    last_confirmed_at: datetime | None = None,
    is_sample: bool = False,
    slug: str = "",
    as_admin: bool = True,
    awaits_vouches: bool = False,
) -> Organization:
    """List an organization. A signed-in creator becomes its first admin unless `as_admin=False`
    (a network weaver adding a group they found, which the group may claim later).

    `awaits_vouches` (the pages and the API, where anyone may list a group) leaves a group its
    creator runs unverified until two verified groups vouch for it (vouching/); a coordinator
    of its place is trusted to list it verified."""
    if user is not None and not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to add an organization.")
    if user is not None:
        require_verified(user)
    _home_place_check(home_place)
    _check_length("description", description, DESCRIPTION_MAX_LENGTH)
    areas = _resolve_issue_areas(issue_areas)
    if home_place is not None and latitude is None and longitude is None:
        latitude, longitude = home_place.latitude, home_place.longitude
    org = Organization(
        name=name.strip(),
        slug=slug or _unique_slug(name),
        kind=kind,
        description=description,
        home_place=home_place,
        place_lft=home_place.lft if home_place is not None else None,
        latitude=latitude,
        longitude=longitude,
        website=website,
        social_links=social_links or {},
        public_email=public_email,
        public_phone=public_phone,
        languages=languages or [],
        status=status,
        last_confirmed_at=last_confirmed_at,
        is_sample=is_sample,
        standing=(
            Standing.UNVERIFIED
            if awaits_vouches
            and as_admin
            and user is not None
            and not permissions.is_site_coordinator(user)
            and not permissions.is_regional_coordinator_for(user, home_place)
            else Standing.VERIFIED
        ),
        issue_mask=issue_mask_of(areas),
        issue_areas_origin=IssueAreaOrigin.COORDINATOR if areas and user else IssueAreaOrigin.NONE,
    )
    org.full_clean()
    org.save()
    if areas:
        org.issue_areas.set(areas)
    if user is not None and as_admin:
        OrganizationAdmin.objects.create(organization=org, user=user)
    directory_touch()
    audit_record(
        actor=user,
        action="organization.create",
        target=org,
        data={"name": org.name, "standing": org.standing},
    )
    return org


@transaction.atomic
def organization_update(*, user: Any, organization: Organization, **fields: Any) -> Organization:
    """Change listing fields. Only the organization's admins may; `issue_areas=` is accepted too."""
    _require_user(
        user,
        permissions.can_edit_organization(user, organization),
        "Only this organization's admins can change its listing.",
    )
    issue_areas = fields.pop("issue_areas", None)
    unknown = sorted(set(fields) - LISTING_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    _check_length("description", fields.get("description"), DESCRIPTION_MAX_LENGTH)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    changed: list[str] = []
    for name, value in fields.items():
        if getattr(org, name) != value:
            setattr(org, name, value)
            changed.append(name)
    if "home_place" in changed:
        _home_place_check(org.home_place)
        org.place_lft = org.home_place.lft if org.home_place is not None else None
        if "latitude" not in fields and "longitude" not in fields and org.home_place is not None:
            org.latitude, org.longitude = org.home_place.latitude, org.home_place.longitude
    if "name" in changed and isinstance(org.name, str):
        org.name = org.name.strip()
    if changed:
        org.full_clean()
        org.save()
    if issue_areas is not None:
        before = org.issue_mask
        org = _set_issue_areas(org, _resolve_issue_areas(issue_areas), by_person=user is not None)
        if org.issue_mask != before:
            changed.append("issue_areas")
    if changed:
        directory_touch()
        audit_record(actor=user, action="organization.update", target=org, data={"fields": changed})
    return org


def _set_issue_areas(org: Organization, areas: list[IssueArea], *, by_person: bool) -> Organization:
    org.issue_areas.set(areas)
    mask = issue_mask_of(areas)
    # A person's choice locks the areas against the automatic tagger (directory/tagging.py).
    origin = IssueAreaOrigin.COORDINATOR if by_person else org.issue_areas_origin
    if org.issue_mask != mask or org.issue_areas_origin != origin:
        Organization.objects.filter(pk=org.pk).update(
            issue_mask=mask, issue_areas_origin=origin, updated_at=timezone.now()
        )
        org.issue_mask, org.issue_areas_origin = mask, origin
    return org


@transaction.atomic
def organization_set_issue_areas(
    *, user: Any, organization: Organization, issue_areas: Iterable[IssueArea | str]
) -> Organization:
    _require_user(
        user,
        permissions.can_edit_organization(user, organization),
        "Only this organization's admins can change its issue areas.",
    )
    areas = _resolve_issue_areas(issue_areas)
    org = _set_issue_areas(organization, areas, by_person=user is not None)
    directory_touch()
    audit_record(
        actor=user,
        action="organization.issue_areas",
        target=org,
        data={"issue_areas": sorted(a.slug for a in areas)},
    )
    return org


@transaction.atomic
def organization_moderate(
    *,
    user: Any,
    organization: Organization,
    is_hidden: bool | None = None,
    status: str | None = None,
    reason: str = "",
) -> Organization:
    """Site coordinators hide a listing or set its status (e.g. dissolved); nothing else."""
    _require_user(
        user,
        permissions.can_moderate_organization(user, organization),
        "Only site coordinators can moderate listings.",
    )
    if status is not None and status not in OrganizationStatus.values:
        raise ValidationError({"status": f"“{status}” is not a status."})
    data: dict[str, Any] = {"reason": reason}
    if is_hidden is not None:
        organization.is_hidden = is_hidden
        data["is_hidden"] = is_hidden
    if status is not None:
        organization.status = status
        data["status"] = status
    organization.save(update_fields=["is_hidden", "status", "updated_at"])
    directory_touch()
    audit_record(actor=user, action="organization.moderate", target=organization, data=data)
    return organization


@transaction.atomic
def organization_confirm(
    *,
    user: Any,
    organization: Organization,
    via: str = "page",
    still_active: bool = False,
    now: datetime | None = None,
) -> Organization:
    """The group's admin says its listing is still right. `via` says how, for the audit log
    ("checkin" for the mailed link, which works without signing in). `still_active` is the
    check-in's "yes, we're still active": a listing marked inactive (say, by a "we've stopped"
    clicked in error) becomes active again."""
    _require_user(
        user,
        permissions.can_edit_organization(user, organization),
        "Only this organization's admins can confirm its listing.",
    )
    now = now or timezone.now()
    data: dict[str, Any] = {"via": via}
    # UPDATEs rather than a save, so that no other field of the listing is written back.
    Organization.objects.filter(pk=organization.pk).update(last_confirmed_at=now, updated_at=now)
    organization.last_confirmed_at = now
    if still_active and Organization.objects.filter(
        pk=organization.pk, status=OrganizationStatus.INACTIVE
    ).update(status=OrganizationStatus.ACTIVE, updated_at=now):
        organization.status = OrganizationStatus.ACTIVE
        data["reactivated"] = True
    directory_touch()
    audit_record(actor=user, action="organization.confirm", target=organization, data=data)
    return organization


@transaction.atomic
def organization_stop(
    *, user: Any, organization: Organization, via: str = "page", reason: str = ""
) -> Organization:
    """The group says it has stopped: its listing becomes inactive, leaves the default
    directory views and is kept (not deleted), so its history and coalitions stay readable."""
    _require_user(
        user,
        permissions.can_edit_organization(user, organization),
        "Only this organization's admins can say it has stopped.",
    )
    now = timezone.now()
    Organization.objects.filter(pk=organization.pk).update(
        status=OrganizationStatus.INACTIVE, last_confirmed_at=now, updated_at=now
    )
    organization.status = OrganizationStatus.INACTIVE
    organization.last_confirmed_at = now
    directory_touch()
    audit_record(
        actor=user,
        action="organization.stop",
        target=organization,
        data={"via": via, "reason": reason[:500]},
    )
    return organization


@transaction.atomic
def organization_admin_add(
    *, user: Any, organization: Organization, new_admin: Any
) -> OrganizationAdmin:
    """An admin adds another; a site coordinator may add the first one (e.g. after a claim)."""
    _require_user(
        user,
        permissions.is_organization_admin(user, organization)
        or permissions.is_site_coordinator(user),
        "Only this organization's admins can add admins.",
    )
    link, created = OrganizationAdmin.objects.get_or_create(
        organization=organization, user=new_admin
    )
    if created:
        audit_record(
            actor=user,
            action="organization.admin_add",
            target=organization,
            data={"user_id": new_admin.pk},
        )
    return link


@transaction.atomic
def organization_admin_remove(*, user: Any, organization: Organization, admin: Any) -> None:
    _require_user(
        user,
        permissions.is_organization_admin(user, organization)
        or permissions.is_site_coordinator(user),
        "Only this organization's admins can remove admins.",
    )
    admins = OrganizationAdmin.objects.select_for_update().filter(organization=organization)
    if (
        admins.count() == 1
        and admins.filter(user=admin).exists()
        and user is not None
        and user == admin
    ):
        raise ValidationError({"admin": "Add another admin before you leave: a listing needs one."})
    deleted, _ = admins.filter(user=admin).delete()
    if deleted:
        audit_record(
            actor=user,
            action="organization.admin_remove",
            target=organization,
            data={"user_id": admin.pk},
        )


@transaction.atomic
def private_contact_update(
    *,
    user: Any,
    organization: Organization,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    notes: str | None = None,
) -> PrivateContact:
    _require_user(
        user,
        permissions.can_edit_organization(user, organization),
        "Only this organization's admins can change its private contact.",
    )
    _check_length("notes", notes, CONTACT_NOTES_MAX_LENGTH)
    contact, _ = PrivateContact.objects.get_or_create(organization=organization)
    changed = []
    for field, value in (("name", name), ("email", email), ("phone", phone), ("notes", notes)):
        if value is not None and getattr(contact, field) != value:
            setattr(contact, field, value)
            changed.append(field)
    if changed:
        contact.full_clean()
        contact.save()
        # Field names only: the audit log must not become a second copy of private data.
        audit_record(
            actor=user,
            action="organization.private_contact",
            target=organization,
            data={"fields": changed},
        )
    return contact


def _issue_area_check(user: Any) -> None:
    _require_user(
        user,
        permissions.can_manage_issue_areas(user),
        "Only site coordinators can edit issue areas.",
    )


@transaction.atomic
def issue_area_create(*, user: Any, name: str, slug: str = "", description: str = "") -> IssueArea:
    _issue_area_check(user)
    used = set(IssueArea.objects.values_list("bit", flat=True))
    free = [b for b in range(MAX_ISSUE_BITS) if b not in used]
    if not free:
        raise ValidationError({"name": f"The hub holds at most {MAX_ISSUE_BITS} issue areas."})
    area = IssueArea(
        name=name.strip(), slug=slug or slugify(name)[:60], description=description, bit=free[0]
    )
    area.full_clean()
    area.save()
    audit_record(actor=user, action="issue_area.create", target=area, data={"name": area.name})
    return area


@transaction.atomic
def issue_area_update(
    *,
    user: Any,
    issue_area: IssueArea,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
) -> IssueArea:
    _issue_area_check(user)
    changed = []
    for field, value in (("name", name), ("slug", slug), ("description", description)):
        if value is not None and getattr(issue_area, field) != value:
            setattr(issue_area, field, value)
            changed.append(field)
    if changed:
        issue_area.full_clean()
        issue_area.save()
        audit_record(
            actor=user, action="issue_area.update", target=issue_area, data={"fields": changed}
        )
    return issue_area


@transaction.atomic
def issue_area_delete(*, user: Any, issue_area: IssueArea) -> None:
    """Remove an area and clear its bit from every mask, so the bit can be reused safely."""
    _issue_area_check(user)
    bit = 1 << issue_area.bit
    Organization.objects.filter(issue_areas=issue_area).update(
        issue_mask=F("issue_mask").bitand(~bit), updated_at=timezone.now()
    )
    audit_record(
        actor=user, action="issue_area.delete", target=issue_area, data={"name": issue_area.name}
    )
    issue_area.delete()
    directory_touch()


def _ordered_pair(a: IssueArea, b: IssueArea) -> tuple[IssueArea, IssueArea]:
    return (a, b) if a.slug < b.slug else (b, a)


@transaction.atomic
def issue_link_create(*, user: Any, a: IssueArea, b: IssueArea, note: str = "") -> IssueLink:
    """Record that two issues crosshatch. Stored once per pair, whichever order it is given in."""
    _issue_area_check(user)
    if a.pk == b.pk:
        raise ValidationError({"to_issue": "An issue area cannot be linked to itself."})
    first, second = _ordered_pair(a, b)
    link, created = IssueLink.objects.get_or_create(
        from_issue=first, to_issue=second, defaults={"note": note}
    )
    if not created and note and link.note != note:
        link.note = note
        link.save(update_fields=["note"])
    audit_record(
        actor=user,
        action="issue_link.create",
        target=link,
        data={"pair": [first.slug, second.slug]},
    )
    return link


@transaction.atomic
def issue_link_delete(*, user: Any, a: IssueArea, b: IssueArea) -> bool:
    _issue_area_check(user)
    links = IssueLink.objects.filter(Q(from_issue=a, to_issue=b) | Q(from_issue=b, to_issue=a))
    link = links.first()
    if link is None:
        return False
    audit_record(
        actor=user, action="issue_link.delete", target=link, data={"pair": [a.slug, b.slug]}
    )
    links.delete()
    return True


@transaction.atomic
def organization_places_refresh() -> int:
    """Copy every home place's `lft` again, after the place tree was renumbered."""
    lft = Subquery(Place.objects.filter(pk=OuterRef("home_place_id")).values("lft")[:1])
    # Stamped as changed too: what is remembered per listing (coalitions' sums) looks for
    # changed listings by `updated_at`.
    now = timezone.now()
    count = Organization.objects.filter(home_place__isnull=False).update(
        place_lft=lft, updated_at=now
    )
    Organization.objects.filter(home_place__isnull=True, place_lft__isnull=False).update(
        place_lft=None, updated_at=now
    )
    directory_touch()
    return count
