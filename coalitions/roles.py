"""Who speaks for whom: co-admins invited by email, and regional coordinators appointed by a
site coordinator. Writes only, each checked, audited and told to the people concerned."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, RegionalCoordinator, User
from accounts.services import audit_record
from coalitions.notices import notify_admins
from directory import permissions
from directory.models import Organization
from directory.services import organization_admin_add
from places.models import Place

# Invitations are signed links rather than rows: nothing to clean up, and one expires by itself.
_INVITE_SALT = "coalitions.admin-invite"
INVITE_MAX_AGE = 14 * 24 * 3600
# Each invitation sends a mail to an address the inviter types, so a cap keeps a listing's
# admin page from being used to mail strangers in bulk.
INVITES_PER_DAY = 20


def _absolute(path: str) -> str:
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


@transaction.atomic
def admin_invite_send(*, user: Any, organization: Organization, email: str) -> str:
    """An admin invites someone to administer the organization with them; returns the link.

    The link works only for an account with that email address, and only while the person
    who sent it is still an admin.
    """
    if not permissions.is_organization_admin(user, organization):
        raise PermissionDenied(_("Only this organization's admins can invite co-admins."))
    email = email.strip().lower()
    since = timezone.now() - timedelta(days=1)
    sent = AuditEvent.objects.filter(
        action="organization.admin_invite",
        target_type=organization._meta.label_lower,
        target_id=str(organization.pk),
        created_at__gte=since,
    ).count()
    if sent >= INVITES_PER_DAY:
        raise ValidationError(
            {
                "email": _("This group has sent %(n)d invitations today; try again tomorrow.")
                % {"n": INVITES_PER_DAY}
            }
        )
    token = signing.dumps(
        {"org": organization.pk, "email": email, "by": user.pk}, salt=_INVITE_SALT
    )
    link = _absolute(reverse("coalitions:admin_join", args=[token]))
    send_mail(
        subject=_("Help run %(name)s") % {"name": organization.name},
        message=_(
            "%(person)s invites you to administer the listing of %(name)s with them.\n\n"
            "Sign in (or sign up) with this address and open:\n%(link)s\n\n"
            "The link works for two weeks. If you do not know this group, ignore this mail."
        )
        % {"person": str(user), "name": organization.name, "link": link},
        from_email=None,
        recipient_list=[email],
    )
    audit_record(
        actor=user, action="organization.admin_invite", target=organization, data={"email": email}
    )
    return link


def admin_invite_read(token: str) -> tuple[Organization, str, User]:
    """The organization, address and inviter a link names; ValidationError if it is no good."""
    try:
        data = signing.loads(token, salt=_INVITE_SALT, max_age=INVITE_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(_("This invitation has expired; ask for a new one.")) from None
    except signing.BadSignature:
        raise ValidationError(_("This invitation link is not valid.")) from None
    org = Organization.objects.filter(pk=data.get("org")).first()
    inviter = User.objects.filter(pk=data.get("by"), is_active=True).first()
    if org is None or inviter is None or not permissions.is_organization_admin(inviter, org):
        raise ValidationError(_("This invitation is no longer valid; ask for a new one."))
    return org, str(data.get("email", "")), inviter


@transaction.atomic
def admin_invite_accept(*, user: Any, token: str) -> Organization:
    """The invited person, signed in with the invited address, becomes an admin."""
    org, email, inviter = admin_invite_read(token)
    if not getattr(user, "is_authenticated", False) or user.email.lower() != email:
        raise PermissionDenied(
            _("This invitation is for %(email)s; sign in with that address.") % {"email": email}
        )
    # The hub adds the admin on the inviter's word, which the signed link carries.
    organization_admin_add(user=None, organization=org, new_admin=user)
    audit_record(
        actor=user,
        action="organization.admin_invite_accept",
        target=org,
        data={"invited_by": inviter.pk},
    )
    notify_admins(
        orgs=[org],
        text=_("%(person)s is now an admin of %(name)s.") % {"person": str(user), "name": org.name},
        url=reverse("coalitions:admins", args=[org.slug]),
        exclude=user,
    )
    return org


def _require_site_coordinator(user: Any) -> None:
    if not permissions.is_site_coordinator(user):
        raise PermissionDenied(_("Only site coordinators can appoint regional coordinators."))


@transaction.atomic
def regional_coordinator_appoint(*, user: Any, email: str, place: Place) -> RegionalCoordinator:
    """A site coordinator makes someone with an account the coordinator of a place or region."""
    _require_site_coordinator(user)
    person = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if person is None:
        raise ValidationError(
            {"email": _("No one has an account with this address; ask them to sign up first.")}
        )
    role, created = RegionalCoordinator.objects.get_or_create(user=person, place=place)
    if created:
        audit_record(
            actor=user,
            action="regional_coordinator.appoint",
            target=role,
            data={"user": person.pk, "place": place.pk},
        )
        send_mail(
            subject=_("You now coordinate %(place)s") % {"place": place.name},
            message=_(
                "You have been appointed regional coordinator of %(place)s. You can now see the "
                "private contacts of groups there and follow their outreach."
            )
            % {"place": place.name},
            from_email=None,
            recipient_list=[person.email],
        )
    return role


@transaction.atomic
def regional_coordinator_remove(*, user: Any, role: RegionalCoordinator) -> None:
    _require_site_coordinator(user)
    audit_record(
        actor=user,
        action="regional_coordinator.remove",
        target=role,
        data={"user": role.user_id, "place": role.place_id},
    )
    role.delete()
