"""Every write of the solidarity app: postings, pledges and their states, campaigns.

Each service checks permission on every object it touches, writes the audit log, and tells the
other side. Pledges move a request's totals under the request's row lock with F() updates, so
two hundred groups pledging at once never take a request past what it asked (unless the
requester allows it) and its totals stay exact.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
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
    Kind,
    NeedState,
    Pledge,
    PledgeState,
    SupportOffer,
    SupportRequest,
    Urgency,
    Visibility,
)

MAX_QUANTITY = Decimal("1000000000")


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _check_amounts(kind: str, quantity: Decimal | None, currency: str) -> str:
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose what kind of help this is.")
    if quantity is not None and not (Decimal(0) < quantity <= MAX_QUANTITY):
        errors["quantity"] = _("Give an amount above zero.")
    currency = (currency or "").strip().upper()
    if kind == Kind.MONEY and quantity is not None and len(currency) != 3:
        errors["currency"] = _("Give the currency as its three-letter code, such as USD.")
    if errors:
        raise ValidationError(errors)
    return currency if kind == Kind.MONEY else ""


def _place_fields(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {"place": None, "place_lft": None, "place_rgt": None}
    if place.is_overlay:
        raise ValidationError({"place": _("Give a place rather than a region.")})
    return {"place": place, "place_lft": place.lft, "place_rgt": place.rgt}


def _named(ids: Iterable[Organization]) -> list[Organization]:
    return [o for o in ids if isinstance(o, Organization)]


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


# Pledges ---------------------------------------------------------------------------------------


def _move(req: SupportRequest, *, pledged: Decimal, received: Decimal, count: int = 0) -> None:
    """Move a request's totals; the caller holds the request's row lock."""
    SupportRequest.objects.filter(pk=req.pk).update(
        pledged=F("pledged") + pledged,
        received=F("received") + received,
        pledge_count=F("pledge_count") + count,
    )


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


# Campaigns -------------------------------------------------------------------------------------


def _unique_slug(title: str) -> str:
    base = slugify(title)[:120] or "campaign"
    slug, n = base, 2
    while Campaign.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def campaign_create(
    *,
    user: Any,
    coalition: Organization,
    title: str,
    kind: str,
    target: Decimal,
    scope: Place,
    currency: str = "",
    unit: str = "",
    description: str = "",
    call: CallToAction | None = None,
) -> Campaign:
    """A coalition starts a campaign that many groups contribute to."""
    if not permissions.can_run_campaign(user, coalition):
        raise PermissionDenied(_("Only a coalition's admins can run a campaign in its name."))
    currency = _check_amounts(kind, target, currency)
    if call is not None and call.coalition_id != coalition.pk:
        raise ValidationError({"call": _("Tie the campaign to one of this coalition's calls.")})
    campaign = Campaign.objects.create(
        coalition=coalition,
        title=title.strip()[:200],
        slug=_unique_slug(title),
        description=description,
        kind=kind,
        target=target,
        currency=currency,
        unit=unit.strip()[:40],
        scope=scope,
        call=call,
        created_by=user,
    )
    audit_record(
        actor=user,
        action="solidarity.campaign_create",
        target=campaign,
        data={"coalition": coalition.pk, "target": str(target)},
    )
    return campaign


def place_copies_refresh() -> None:
    """Re-copy `lft`/`rgt` after the place tree was renumbered."""
    from django.db.models import OuterRef, Subquery

    for model in (SupportRequest, SupportOffer):
        places = Place.objects.filter(pk=OuterRef("place_id"))
        model.objects.exclude(place=None).update(
            place_lft=Subquery(places.values("lft")[:1]),
            place_rgt=Subquery(places.values("rgt")[:1]),
        )
    orgs = Organization.objects.filter(pk=OuterRef("organization_id"))
    Pledge.objects.update(place_lft=Subquery(orgs.values("place_lft")[:1]))
