"""Pledges under the request's row lock, from pledged to received, and their other endings."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from coalitions.notices import notify_admins
from directory.models import Organization
from solidarity import permissions
from solidarity.models import (
    LIVE_PLEDGE_STATES,
    Campaign,
    NeedState,
    Pledge,
    PledgeState,
    SupportOffer,
    SupportRequest,
)
from solidarity.services._shared import _now

# Pledges ---------------------------------------------------------------------------------------


def _move(req: SupportRequest, *, pledged: Decimal, received: Decimal, count: int = 0) -> None:
    """Move a request's totals; the caller holds the request's row lock."""
    SupportRequest.objects.filter(pk=req.pk).update(
        pledged=F("pledged") + pledged,
        received=F("received") + received,
        pledge_count=F("pledge_count") + count,
    )
    if req.campaign_id is not None:
        Campaign.objects.filter(pk=req.campaign_id).update(version=F("version") + 1)


@transaction.atomic
def pledge_make(
    *,
    user: Any,
    request: SupportRequest,
    organization: Organization,
    amount: Decimal,
    offer: SupportOffer | None = None,
    message: str = "",
    contact_name: str = "",
    contact_email: str = "",
    show_tie: bool = True,
) -> Pledge:
    """A group pledges all or part of a request. Pledging is the pledger's agreement to share
    its contact; the requester's acceptance completes it."""
    if not permissions.is_admin(user, organization):
        raise PermissionDenied(_("Only this group's admins can pledge in its name."))
    if organization.pk == request.organization_id:
        raise ValidationError(_("A group cannot pledge to its own request."))
    if not permissions.can_see_as(organization, request):
        raise PermissionDenied(_("This request is not shared with your group."))
    if offer is not None and offer.organization_id != organization.pk:
        raise PermissionDenied(_("That offer belongs to another group."))
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Pledge an amount above zero.")})
    # The lock: every pledge to this request waits here for the one before it.
    locked = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != NeedState.OPEN:
        raise ValidationError(_("This request is no longer open."))
    if (
        locked.quantity is not None
        and not locked.allow_over
        and locked.pledged + amount > locked.quantity
    ):
        left = max(Decimal(0), locked.quantity - locked.pledged)
        raise ValidationError(
            {
                "amount": _("Only %(left)s is still needed.")
                % {"left": locked.amount_label(left) or "0"}
            }
        )
    pledge = Pledge.objects.create(
        request=locked,
        organization=organization,
        offer=offer,
        amount=amount,
        message=message,
        contact_name=contact_name,
        contact_email=contact_email,
        pledger_shows=show_tie,
        place_lft=organization.place_lft,
        campaign_id=locked.campaign_id,
        created_by=user,
    )
    _move(locked, pledged=amount, received=Decimal(0), count=1)
    audit_record(
        actor=user,
        action="solidarity.pledge_make",
        target=pledge,
        data={"request": locked.pk, "organization": organization.pk, "amount": str(amount)},
    )
    notify_admins(
        orgs=[locked.organization],
        text=_("%(org)s pledged %(amount)s to “%(title)s”.")
        % {
            "org": organization.name,
            "amount": locked.amount_label(amount),
            "title": locked.title,
        },
        url=locked.get_absolute_url(),
        body=message,
        exclude=user,
    )
    return pledge


def _locked_pledge(pledge: Pledge) -> tuple[SupportRequest, Pledge]:
    req = SupportRequest.objects.select_for_update().get(pk=pledge.request_id)
    locked = Pledge.objects.select_related("organization").get(pk=pledge.pk)
    locked.request = req
    return req, locked


def _settle(
    req: SupportRequest, pledge: Pledge, state: str, *, received: Decimal | None, note: str
) -> None:
    """End a pledge in `state`, moving the request's totals by what it counted before and
    counts now. The caller holds the request's lock."""
    before = pledge.counted
    pledge.state = state
    pledge.received_amount = received
    pledge.note = note or pledge.note
    pledge.settled_at = timezone.now()
    pledge.save(update_fields=["state", "received_amount", "note", "settled_at"])
    _move(req, pledged=pledge.counted - before, received=received or Decimal(0))


@transaction.atomic
def pledge_accept(*, user: Any, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """The requester agrees to be in touch: both sides now see each other's contact."""
    req, locked = _locked_pledge(pledge)
    if not permissions.is_requester(user, locked):
        raise PermissionDenied(_("Only the requesting group's admins can accept a pledge."))
    if locked.accepted_at is None:
        Pledge.objects.filter(pk=locked.pk).update(accepted_at=_now(now))
        locked.refresh_from_db()
        audit_record(actor=user, action="solidarity.pledge_accept", target=locked)
        notify_admins(
            orgs=[locked.organization],
            text=_("%(org)s accepted your pledge to “%(title)s”; you can now reach each other.")
            % {"org": req.organization.name, "title": req.title},
            url=req.get_absolute_url(),
            exclude=user,
        )
    return locked


@transaction.atomic
def pledge_deliver(
    *, user: Any, pledge: Pledge, amount: Decimal | None = None, note: str = ""
) -> Pledge:
    """The pledger says it delivered (all, or `amount` of it). It counts once confirmed."""
    req, locked = _locked_pledge(pledge)
    if not permissions.is_pledger(user, locked):
        raise PermissionDenied(_("Only the pledging group's admins can mark it delivered."))
    if locked.state != PledgeState.PLEDGED:
        raise ValidationError(_("Only a pledge not yet delivered can be marked delivered."))
    amount = locked.amount if amount is None else amount
    if not (Decimal(0) < amount <= locked.amount):
        raise ValidationError({"amount": _("Give what you delivered, up to what you pledged.")})
    Pledge.objects.filter(pk=locked.pk).update(
        state=PledgeState.DELIVERED, delivered_amount=amount, delivered_at=timezone.now()
    )
    locked.refresh_from_db()
    audit_record(
        actor=user,
        action="solidarity.pledge_deliver",
        target=locked,
        data={"amount": str(amount), "note": note},
    )
    notify_admins(
        orgs=[req.organization],
        text=_("%(org)s delivered %(amount)s for “%(title)s”. Please confirm what you received.")
        % {"org": locked.organization.name, "amount": req.amount_label(amount), "title": req.title},
        url=req.get_absolute_url(),
        body=note,
        exclude=user,
    )
    return locked


@transaction.atomic
def pledge_confirm(
    *,
    user: Any,
    pledge: Pledge,
    amount: Decimal | None = None,
    note: str = "",
    show_tie: bool = True,
) -> Pledge:
    """The requester confirms what it received. Less than pledged is a partial delivery; the
    rest is free for other groups to pledge."""
    req, locked = _locked_pledge(pledge)
    if not permissions.is_requester(user, locked):
        raise PermissionDenied(_("Only the requesting group's admins can confirm receipt."))
    if locked.state not in (PledgeState.PLEDGED, PledgeState.DELIVERED):
        raise ValidationError(_("This pledge is already settled."))
    amount = (locked.delivered_amount or locked.amount) if amount is None else amount
    if not (Decimal(0) < amount <= locked.amount):
        raise ValidationError({"amount": _("Give what you received, up to what was pledged.")})
    state = PledgeState.CONFIRMED if amount == locked.amount else PledgeState.PARTIAL
    locked.requester_shows = show_tie
    locked.save(update_fields=["requester_shows"])
    _settle(req, locked, state, received=amount, note=note)
    req.refresh_from_db()
    if req.quantity is not None and req.received >= req.quantity and req.state == NeedState.OPEN:
        SupportRequest.objects.filter(pk=req.pk).update(state=NeedState.MET)
    audit_record(
        actor=user,
        action="solidarity.pledge_confirm",
        target=locked,
        data={"amount": str(amount), "state": state},
    )
    notify_admins(
        orgs=[locked.organization],
        text=_("%(org)s confirmed receiving %(amount)s for “%(title)s”. Thank you.")
        % {"org": req.organization.name, "amount": req.amount_label(amount), "title": req.title},
        url=req.get_absolute_url(),
        exclude=user,
    )
    return locked


def _end_by_pledger(
    *, user: Any, pledge: Pledge, state: str, note: str, referred_to: Organization | None = None
) -> Pledge:
    req, locked = _locked_pledge(pledge)
    if not permissions.is_pledger(user, locked):
        raise PermissionDenied(_("Only the pledging group's admins can change its pledge."))
    if locked.state not in LIVE_PLEDGE_STATES:
        raise ValidationError(_("This pledge is already settled."))
    if referred_to is not None:
        if referred_to.pk in (locked.organization_id, req.organization_id):
            raise ValidationError({"referred_to": _("Refer the request to another group.")})
        locked.referred_to = referred_to
        locked.save(update_fields=["referred_to"])
    _settle(req, locked, state, received=None, note=note)
    audit_record(
        actor=user,
        action=f"solidarity.pledge_{state}",
        target=locked,
        data={"note": note, "referred_to": referred_to.pk if referred_to else None},
    )
    text = (
        _("%(org)s could not deliver its pledge to “%(title)s”.")
        if state == PledgeState.COULD_NOT
        else _("%(org)s referred “%(title)s” to %(other)s.")
    )
    notify_admins(
        orgs=[req.organization, *([referred_to] if referred_to else [])],
        text=text
        % {
            "org": locked.organization.name,
            "title": req.title,
            "other": referred_to.name if referred_to else "",
        },
        url=req.get_absolute_url(),
        body=note,
        exclude=user,
    )
    return locked


@transaction.atomic
def pledge_could_not(*, user: Any, pledge: Pledge, note: str = "") -> Pledge:
    """The pledger could not deliver; what it pledged is free for others again."""
    return _end_by_pledger(user=user, pledge=pledge, state=PledgeState.COULD_NOT, note=note)


@transaction.atomic
def pledge_refer(*, user: Any, pledge: Pledge, to: Organization, note: str = "") -> Pledge:
    """The pledger passes the request on to a group better placed to help."""
    return _end_by_pledger(
        user=user, pledge=pledge, state=PledgeState.REFERRED, note=note, referred_to=to
    )


@transaction.atomic
def pledge_not_needed(*, user: Any, pledge: Pledge, note: str = "") -> Pledge:
    """The requester no longer needs this pledge."""
    req, locked = _locked_pledge(pledge)
    if not permissions.is_requester(user, locked):
        raise PermissionDenied(_("Only the requesting group's admins can release a pledge."))
    if locked.state not in LIVE_PLEDGE_STATES:
        raise ValidationError(_("This pledge is already settled."))
    _settle(req, locked, PledgeState.NOT_NEEDED, received=None, note=note)
    audit_record(actor=user, action="solidarity.pledge_not_needed", target=locked)
    notify_admins(
        orgs=[locked.organization],
        text=_("“%(title)s” no longer needs your pledge.") % {"title": req.title},
        url=req.get_absolute_url(),
        body=note,
        exclude=user,
    )
    return locked
