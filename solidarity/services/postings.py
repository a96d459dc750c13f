"""Asking for help and offering it: requests and offers, and closing a request."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record
from actions.models import CallToAction
from coalitions.models import Membership
from coalitions.notices import notify_admins
from directory.models import IssueArea, Organization
from places.models import Place
from solidarity import permissions
from solidarity.models import (
    LIVE_PLEDGE_STATES,
    NO_DATE,
    Campaign,
    NeedState,
    Pledge,
    PledgeState,
    SupportOffer,
    SupportRequest,
    Urgency,
    Visibility,
)
from solidarity.services._shared import _check_amounts, _named, _place_fields
from solidarity.services.pledges import _settle


@transaction.atomic
def request_create(
    *,
    user: Any,
    organization: Organization,
    title: str,
    kind: str,
    quantity: Decimal | None = None,
    currency: str = "",
    unit: str = "",
    description: str = "",
    place: Place | None = None,
    remote: bool = False,
    issue_area: IssueArea | None = None,
    needed_by: date | None = None,
    urgency: int = Urgency.SOON,
    visibility: str = Visibility.PUBLIC,
    visible_to: Iterable[Organization] = (),
    sensitive: bool = False,
    allow_over: bool = False,
    call: CallToAction | None = None,
    campaign: Campaign | None = None,
    money_link: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    standing: bool = False,
    link_url: str = "",
) -> SupportRequest:
    """A group (or a coalition) asks for help."""
    if not permissions.can_post(user, organization):
        raise PermissionDenied(_("Only this group's admins can ask for help in its name."))
    currency = _check_amounts(kind, quantity, currency)
    if not title.strip():
        raise ValidationError({"title": _("Say what is needed.")})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who may see this request.")})
    if sensitive and visibility == Visibility.PUBLIC:
        raise ValidationError(
            {"visibility": _("A sensitive request cannot be public: choose who may see it.")}
        )
    named = _named(visible_to)
    if visibility == Visibility.NAMED and not named:
        raise ValidationError({"visible_to": _("Name at least one group who may see it.")})
    if campaign is not None:
        _check_campaign_open(campaign, organization)
    if place is None:
        place = organization.home_place
    req = SupportRequest.objects.create(
        organization=organization,
        title=title.strip()[:200],
        description=description,
        kind=kind,
        quantity=quantity,
        currency=currency,
        unit=unit.strip()[:40],
        remote=remote,
        issue_area=issue_area,
        needed_by=needed_by,
        due_on=needed_by or NO_DATE,
        urgency=urgency,
        visibility=visibility,
        sensitive=sensitive,
        allow_over=allow_over,
        call=call,
        campaign=campaign,
        money_link=money_link,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        standing=standing,
        link_url=link_url,
        created_by=user if getattr(user, "pk", None) else None,
        **_place_fields(place),
    )
    if visibility == Visibility.NAMED:
        req.visible_to.set(named)
    audit_record(
        actor=user,
        action="solidarity.request_create",
        target=req,
        data={"organization": organization.pk, "kind": kind, "quantity": str(quantity)},
    )
    return req


def _check_campaign_open(campaign: Campaign, org: Organization) -> None:
    if campaign.closed:
        raise ValidationError({"campaign": _("This campaign is closed.")})
    member = (
        org.pk == campaign.coalition_id
        or Membership.objects.active().filter(coalition=campaign.coalition, member=org).exists()
    )
    if not member:
        raise ValidationError(
            {"campaign": _("Only the coalition running a campaign and its members join it.")}
        )


@transaction.atomic
def request_close(
    *, user: Any, request: SupportRequest, state: str = NeedState.NOT_NEEDED, note: str = ""
) -> SupportRequest:
    """The requester says it no longer needs help; pledges still open end as not needed."""
    if not permissions.can_manage(user, request):
        raise PermissionDenied(_("Only the requesting group's admins can close its request."))
    if state not in (NeedState.NOT_NEEDED, NeedState.CLOSED, NeedState.MET):
        raise ValidationError({"state": _("Choose why the request closes.")})
    locked = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != NeedState.OPEN:
        raise ValidationError(_("This request is already closed."))
    live = list(Pledge.objects.filter(request=locked, state__in=LIVE_PLEDGE_STATES))
    for pledge in live:
        _settle(locked, pledge, PledgeState.NOT_NEEDED, received=None, note=note)
    SupportRequest.objects.filter(pk=locked.pk).update(state=state)
    locked.refresh_from_db()
    audit_record(
        actor=user, action="solidarity.request_close", target=locked, data={"state": state}
    )
    if live:
        notify_admins(
            orgs={p.organization for p in live},
            text=_("“%(title)s” is no longer needed.") % {"title": locked.title},
            url=locked.get_absolute_url(),
            body=note,
            exclude=user,
        )
    return locked


@transaction.atomic
def offer_create(
    *,
    user: Any,
    organization: Organization,
    title: str,
    kind: str,
    quantity: Decimal | None = None,
    currency: str = "",
    unit: str = "",
    description: str = "",
    place: Place | None = None,
    remote: bool = False,
    issue_area: IssueArea | None = None,
    one_off: bool = False,
    available_from: date | None = None,
    available_until: date | None = None,
    visibility: str = Visibility.PUBLIC,
    visible_to: Iterable[Organization] = (),
    contact_name: str = "",
    contact_email: str = "",
    standing: bool = False,
    link_url: str = "",
) -> SupportOffer:
    """A group offers help, standing or one-off, over an area it covers (its place, or anywhere
    when remote)."""
    if not permissions.can_post(user, organization):
        raise PermissionDenied(_("Only this group's admins can offer help in its name."))
    currency = _check_amounts(kind, quantity, currency)
    if not title.strip():
        raise ValidationError({"title": _("Say what you offer.")})
    if available_from and available_until and available_until < available_from:
        raise ValidationError({"available_until": _("The end comes before the start.")})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who may see this offer.")})
    if place is None and not remote:
        place = organization.home_place
    offer = SupportOffer.objects.create(
        organization=organization,
        title=title.strip()[:200],
        description=description,
        kind=kind,
        quantity=quantity,
        currency=currency,
        unit=unit.strip()[:40],
        remote=remote,
        issue_area=issue_area,
        one_off=one_off,
        available_from=available_from,
        available_until=available_until,
        visibility=visibility,
        contact_name=contact_name,
        contact_email=contact_email,
        standing=standing,
        link_url=link_url,
        created_by=user if getattr(user, "pk", None) else None,
        **_place_fields(place),
    )
    if visibility == Visibility.NAMED:
        offer.visible_to.set(_named(visible_to))
    audit_record(
        actor=user,
        action="solidarity.offer_create",
        target=offer,
        data={"organization": organization.pk, "kind": kind},
    )
    return offer


@transaction.atomic
def offer_withdraw(*, user: Any, offer: SupportOffer) -> SupportOffer:
    if not permissions.can_manage(user, offer):
        raise PermissionDenied(_("Only this group's admins can withdraw its offer."))
    SupportOffer.objects.filter(pk=offer.pk).update(active=False)
    offer.refresh_from_db()
    audit_record(actor=user, action="solidarity.offer_withdraw", target=offer)
    return offer
