"""Every write about claims and outreach. Each checks who may do it before writing.

Claims: a signed, time-limited link mailed to the address the directory holds for a group, or a
request a coordinator of the group's place approves. Either makes the person an admin of the
listing and marks it claimed. Once a listing has admins, nobody joins them without their
consent: links are no longer mailed, and requests go to the admins (a site coordinator may
decide in their stead, with a reason kept in the audit log). What the group then says about itself is recorded with origin
"claim" through `sources.services.field_set`, so later imports never overwrite it.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import require_verified
from accounts.services import audit_record
from directory import permissions as directory_permissions
from directory.models import (
    IssueArea,
    IssueAreaOrigin,
    Organization,
    OrganizationAdmin,
    OrganizationStatus,
    PrivateContact,
    Standing,
)
from directory.moves import home_place_move_reasons
from directory.services import (
    directory_touch,
    organization_confirm,
    organization_update,
    private_contact_update,
)
from outbox.services import mail_send
from outreach import permissions
from outreach.models import (
    ClaimLink,
    ClaimRequest,
    ClaimStatus,
    OutreachEntry,
    Stage,
    StageChange,
)
from places.models import Place
from places.resolver import place_label
from sources.models import Origin
from sources.services import field_set

CLAIM_LINK_MAX_AGE = timedelta(days=3)
# One mail per group in this window, so the claim form cannot be used to flood a group's inbox.
CLAIM_LINK_COOLDOWN = timedelta(minutes=10)
_SALT = "outreach.claim-link"

# Listing fields whose provenance the sources app keeps; the group's word on them outranks
# every import. Social links other than Facebook are written directly (no import sets them).
CLAIM_FIELDS = (
    "name",
    "kind",
    "description",
    "home_place",
    "website",
    "public_email",
    "public_phone",
    "languages",
    "status",
)


def _signed_in(user: Any) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")


def claim_address(organization: Organization) -> str:
    """The address a claim link goes to: the group's public email, else its private contact.
    Never shown to the person asking."""
    if organization.public_email:
        return organization.public_email
    contact = PrivateContact.objects.filter(organization=organization).first()
    return contact.email if contact is not None else ""


def claim_token(link: ClaimLink) -> str:
    return signing.dumps({"link": link.pk, "org": link.organization_id}, salt=_SALT)


def claim_token_read(token: str) -> ClaimLink:
    """The link a token names; ValidationError if it was altered, expired or already used."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=CLAIM_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError({"token": "This link has expired. Ask for a new one."}) from exc
    except signing.BadSignature as exc:
        raise ValidationError({"token": "This link is not valid. Ask for a new one."}) from exc
    link = (
        ClaimLink.objects.select_related("organization")
        .filter(pk=data.get("link"), organization_id=data.get("org"))
        .first()
    )
    if link is None:
        raise ValidationError({"token": "This link is not valid. Ask for a new one."})
    if link.used_at is not None:
        raise ValidationError({"token": "This link has already been used."})
    return link


def has_admins(organization: Organization) -> bool:
    return OrganizationAdmin.objects.filter(organization=organization).exists()


def _admins_first(organization: Organization) -> None:
    if has_admins(organization):
        raise ValidationError(
            {
                "organization": _(
                    "This listing already has admins. Ask them to add you: they decide who "
                    "joins them."
                )
            }
        )


@transaction.atomic
def claim_link_send(*, user: Any, organization: Organization, base_url: str) -> ClaimLink:
    """Mail a claim link to the group's address. `base_url` is the site's address
    (scheme and host) the link should start with. The mail goes through the outbox, so a mail
    server that is down never undoes the link (and its cool-down): the link's `message` says
    whether the mail left."""
    _signed_in(user)
    require_verified(user)
    if organization.status == OrganizationStatus.DISSOLVED:
        raise ValidationError({"organization": _("This group has said it no longer exists.")})
    _admins_first(organization)
    address = claim_address(organization)
    if not address:
        raise ValidationError(
            {
                "organization": _(
                    "We hold no address for this group. Ask the coordinators of its area instead."
                )
            }
        )
    # Locked so two quick requests cannot both pass the cool-down check.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    recent = ClaimLink.objects.filter(
        organization=organization, sent_at__gte=timezone.now() - CLAIM_LINK_COOLDOWN
    ).exists()
    if recent:
        raise ValidationError(
            {
                "organization": _(
                    "A link for this group was asked for a few minutes ago. Wait a little "
                    "before asking again, or ask the coordinators of its area instead."
                )
            }
        )
    link = ClaimLink.objects.create(organization=organization, requested_by=user)
    url = base_url.rstrip("/") + reverse("outreach:claim_confirm", args=[claim_token(link)])
    context = {
        "org": organization,
        "url": url,
        "days": CLAIM_LINK_MAX_AGE.days,
        "site_name": getattr(settings, "SITE_NAME", "Commonweal"),
    }
    link.message = mail_send(
        to=address,
        subject=_("Take charge of the listing of %(name)s") % {"name": organization.name},
        body=render_to_string("outreach/claim_email.txt", context),
        purpose="claim.link",
    )
    if link.message is not None:
        link.save(update_fields=["message"])
    audit_record(actor=user, action="claim.link_sent", target=organization)
    return link


def _make_admin(organization: Organization, user: Any) -> None:
    OrganizationAdmin.objects.get_or_create(organization=organization, user=user)
    if organization.claimed_at is None:
        organization.claimed_at = timezone.now()
        # Whoever first takes charge of a listing might not be the group it names: until two
        # verified groups vouch (vouching/), it cannot act in the group's name.
        Organization.objects.filter(pk=organization.pk, standing=Standing.VERIFIED).update(
            standing=Standing.UNVERIFIED
        )
        Organization.objects.filter(pk=organization.pk).update(claimed_at=organization.claimed_at)
        organization.refresh_from_db(fields=["standing"])
    directory_touch()


@transaction.atomic
def claim_link_use(*, user: Any, token: str) -> Organization:
    """Whoever follows the mailed link (signed in) becomes an admin: reading the group's mail
    is the proof."""
    _signed_in(user)
    require_verified(user)
    link = claim_token_read(token)
    link = ClaimLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        raise ValidationError({"token": "This link has already been used."})
    # Someone took charge of the listing after this link was mailed: from now on its admins
    # decide who joins them.
    if not directory_permissions.is_organization_admin(user, link.organization):
        try:
            _admins_first(link.organization)
        except ValidationError as error:
            raise ValidationError({"token": error.messages}) from error
    link.used_at, link.used_by = timezone.now(), user
    link.save(update_fields=["used_at", "used_by"])
    _make_admin(link.organization, user)
    audit_record(
        actor=user, action="claim.link_used", target=link.organization, data={"link": link.pk}
    )
    return link.organization


@transaction.atomic
def claim_request_create(
    *, user: Any, organization: Organization, message: str, base_url: str = ""
) -> ClaimRequest:
    """Ask to look after a listing. If it has admins, they are mailed: it is theirs to decide."""
    _signed_in(user)
    require_verified(user)
    if directory_permissions.is_organization_admin(user, organization):
        raise ValidationError({"organization": _("You already administer this listing.")})
    if ClaimRequest.objects.filter(
        organization=organization, user=user, status=ClaimStatus.PENDING
    ).exists():
        raise ValidationError({"message": _("You have already asked; you will get an answer.")})
    claim = ClaimRequest.objects.create(
        organization=organization, user=user, message=message.strip()
    )
    audit_record(actor=user, action="claim.request", target=organization, data={"id": claim.pk})
    admins = OrganizationAdmin.objects.filter(organization=organization).select_related("user")
    context = {
        "org": organization,
        "claim": claim,
        "url": base_url.rstrip("/") + reverse("outreach:requests"),
        "site_name": getattr(settings, "SITE_NAME", "Commonweal"),
    }
    for admin in admins:
        mail_send(
            to=admin.user.email,
            subject=_("%(person)s asks to help look after %(name)s")
            % {"person": user, "name": organization.name},
            body=render_to_string("outreach/claim_request_email.txt", context),
            purpose="claim.request",
        )
    return claim


def _decided_as(user: Any, organization: Organization, *, approve: bool, reason: str) -> str:
    """Who may decide on a claim, and in what role; raises if this person may not."""
    if has_admins(organization):
        if directory_permissions.is_organization_admin(user, organization):
            return "admin"
        if directory_permissions.is_site_coordinator(user):
            if approve and not reason:
                raise ValidationError(
                    {
                        "reason": _(
                            "This listing has admins. To add someone without their consent, "
                            "give the reason; it is kept in the audit log."
                        )
                    }
                )
            return "site_coordinator"
        # Turning away a request is safe in a coordinator's hands; letting someone in is not.
        if not approve and permissions.can_coordinate_organization(user, organization):
            return "coordinator"
        raise PermissionDenied(_("This listing has admins: they decide who joins them."))
    if not permissions.can_coordinate_organization(user, organization):
        raise PermissionDenied(_("Only the coordinators of this group's place can decide."))
    return "coordinator"


@transaction.atomic
def claim_request_decide(
    *, user: Any, claim: ClaimRequest, approve: bool, reason: str = ""
) -> ClaimRequest:
    """The listing's admins, or while it has none a coordinator of the group's place (or a
    site coordinator), approve or decline."""
    claim = ClaimRequest.objects.select_for_update().select_related("organization").get(pk=claim.pk)
    # The listing is locked too, so a request cannot slip past admins being added meanwhile.
    Organization.objects.select_for_update().filter(pk=claim.organization_id).first()
    reason = reason.strip()
    role = _decided_as(user, claim.organization, approve=approve, reason=reason)
    if claim.status != ClaimStatus.PENDING:
        raise ValidationError({"claim": _("This request has already been decided.")})
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.decided_by, claim.decided_at, claim.reason = user, timezone.now(), reason
    claim.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    if approve:
        _make_admin(claim.organization, claim.user)
    names = {"name": claim.organization.name}
    mail_send(
        to=claim.user.email,
        subject=(
            _("You now help look after %(name)s")
            if approve
            else _("Your request about %(name)s was declined")
        )
        % names,
        body=render_to_string(
            "outreach/claim_decided_email.txt",
            {"org": claim.organization, "approve": approve, "reason": reason},
        ),
        purpose="claim.decided",
    )
    audit_record(
        actor=user,
        action="claim.approve" if approve else "claim.reject",
        target=claim.organization,
        data={"id": claim.pk, "user_id": claim.user_id, "as": role, "reason": reason},
    )
    return claim


def _require_admin(user: Any, organization: Organization) -> None:
    if not directory_permissions.is_organization_admin(user, organization):
        raise PermissionDenied("Only this group's admins can do this.")


def _differs(org: Organization, name: str, value: Any) -> bool:
    if name == "home_place":
        return org.home_place_id != (value.pk if isinstance(value, Place) else value)
    if name == "issue_areas":
        wanted = {a.slug if isinstance(a, IssueArea) else str(a) for a in value or []}
        return wanted != {a.slug for a in org.issue_areas.all()}
    return bool(getattr(org, name) != value)


@transaction.atomic
def claimed_listing_update(
    *,
    user: Any,
    organization: Organization,
    listing: dict[str, Any],
    contact: dict[str, Any] | None = None,
    confirm_move: int | None = None,
) -> Organization:
    """The group's own edit of its listing. Each field goes through the provenance layer with
    origin "claim", so no later import can overwrite it; issue areas become the group's choice,
    which the automatic tagger never replaces. Moving the home place to another country or out
    of the editor's region needs `confirm_move`, the id of the place the person confirmed
    moving to, and is written to the audit log."""
    _require_admin(user, organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    unknown = sorted(set(listing) - {*CLAIM_FIELDS, "issue_areas", "social_links"})
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    moved_from = org.home_place
    move_reasons: list[str] = []
    if "home_place" in listing and _differs(org, "home_place", listing["home_place"]):
        move_reasons = home_place_move_reasons(user=user, old=moved_from, new=listing["home_place"])
        new_place = listing["home_place"]
        if move_reasons and (new_place is None or confirm_move != new_place.pk):
            raise ValidationError(
                {
                    "home_place": ValidationError(
                        " ".join(move_reasons), code="confirm_move", params={"to": new_place.pk}
                    )
                }
            )
    # Only what the group changed becomes its word; fields it left as they were may still be
    # filled in or corrected by later imports.
    for name in CLAIM_FIELDS:
        if name in listing and _differs(org, name, listing[name]):
            field_set(
                organization=org, field=name, value=listing[name], origin=Origin.CLAIM, by=user
            )
    if "social_links" in listing:
        links = dict(listing["social_links"] or {})
        if "facebook" in links or "facebook" in (org.social_links or {}):
            field_set(
                organization=org,
                field="facebook",
                value=links.pop("facebook", ""),
                origin=Origin.CLAIM,
                by=user,
            )
            org.refresh_from_db()
            links["facebook"] = (org.social_links or {}).get("facebook", "")
        links = {k: v for k, v in links.items() if v}
        if links != (org.social_links or {}):
            org = organization_update(user=user, organization=org, social_links=links)
    if "issue_areas" in listing and _differs(org, "issue_areas", listing["issue_areas"]):
        areas = list(IssueArea.objects.filter(slug__in=list(listing["issue_areas"] or [])))
        field_set(organization=org, field="issue_areas", value=areas, origin=Origin.CLAIM, by=user)
        Organization.objects.filter(pk=org.pk).update(
            issue_areas_origin=IssueAreaOrigin.COORDINATOR
        )
    if contact is not None:
        private_contact_update(user=user, organization=org, **contact)
    # The group's admin has just looked the listing over: that confirms it is still right.
    organization_confirm(user=user, organization=org, via="edit")
    org.refresh_from_db()
    if move_reasons:
        audit_record(
            actor=user,
            action="organization.home_place_move",
            target=org,
            data={
                "from": moved_from.pk if moved_from else None,
                "from_name": place_label(moved_from) if moved_from else "",
                "to": org.home_place_id,
                "to_name": place_label(org.home_place) if org.home_place else "",
                "reasons": move_reasons,
                "confirmed": True,
            },
        )
    return org


@transaction.atomic
def organization_dissolve(*, user: Any, organization: Organization, confirm: bool) -> Organization:
    """The group says it no longer exists. Kept as the group's word, above any import that
    still lists it."""
    _require_admin(user, organization)
    if not confirm:
        raise ValidationError({"confirm": "Tick the box to confirm the group no longer exists."})
    field_set(
        organization=organization,
        field="status",
        value=OrganizationStatus.DISSOLVED,
        origin=Origin.CLAIM,
        by=user,
    )
    organization.refresh_from_db()
    return organization


# Outreach -------------------------------------------------------------------------------


def _require_place(user: Any, place: Place) -> None:
    if not permissions.can_work_place(user, place):
        raise PermissionDenied("Only the coordinators of this place can do outreach here.")


@transaction.atomic
def outreach_entry_create(
    *, user: Any, organization: Organization, place: Place, next_step: str = ""
) -> OutreachEntry:
    _require_place(user, place)
    if not Organization.objects.filter(pk=organization.pk).filter(place.contains_q()).exists():
        raise ValidationError({"organization": f"This group is not based in {place.name}."})
    entry, created = OutreachEntry.objects.get_or_create(
        organization=organization,
        place=place,
        defaults={"created_by": user, "next_step": next_step.strip()},
    )
    if created:
        StageChange.objects.create(entry=entry, to_stage=entry.stage, changed_by=user)
        audit_record(actor=user, action="outreach.create", target=entry, data={"place": place.slug})
    return entry


@transaction.atomic
def outreach_stage_set(*, user: Any, entry: OutreachEntry, stage: str) -> OutreachEntry:
    if stage not in Stage.values:
        raise ValidationError({"stage": f"“{stage}” is not a stage."})
    entry = OutreachEntry.objects.select_for_update().select_related("place").get(pk=entry.pk)
    _require_place(user, entry.place)
    if entry.stage != stage:
        StageChange.objects.create(
            entry=entry, from_stage=entry.stage, to_stage=stage, changed_by=user
        )
        entry.stage = stage
        entry.save(update_fields=["stage", "updated_at"])
        audit_record(actor=user, action="outreach.stage", target=entry, data={"stage": stage})
    return entry


@transaction.atomic
def outreach_entry_update(
    *,
    user: Any,
    entry: OutreachEntry,
    notes: str,
    next_step: str,
    next_step_on: date | None,
    assigned_to: Any,
) -> OutreachEntry:
    entry = OutreachEntry.objects.select_for_update().select_related("place").get(pk=entry.pk)
    _require_place(user, entry.place)
    if assigned_to is not None and not permissions.can_work_place(assigned_to, entry.place):
        raise ValidationError({"assigned_to": "Assign someone who coordinates this place."})
    entry.notes, entry.next_step = notes, next_step.strip()
    entry.next_step_on, entry.assigned_to = next_step_on, assigned_to
    entry.save(update_fields=["notes", "next_step", "next_step_on", "assigned_to", "updated_at"])
    # Field names only: the audit log must not copy private notes.
    audit_record(actor=user, action="outreach.update", target=entry, data={"fields": ["notes"]})
    return entry
