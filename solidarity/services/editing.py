"""Changing a request or an offer after it was posted.

Every field may change, by the owning group's admins, and each change is in the audit log with
what it was before. Pledges were made against what was asked, so a change to what or how much
is asked (or by when) tells the groups whose pledges are still live; asking for less than is
already pledged must be said knowingly, and those pledges then stand as they are.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.services import audit_record
from actions.models import CallToAction
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
    SupportOffer,
    SupportRequest,
    Visibility,
)
from solidarity.services._shared import _check_amounts, _named, _place_fields
from solidarity.services.postings import _check_campaign_open

# Changes the pledging groups are told of: what they promised was measured against these.
_TOLD = ("title", "kind", "quantity", "currency", "unit", "needed_by")


def _text(value: Any) -> Any:
    """A field's value as the audit log keeps it."""
    if isinstance(value, Decimal | date):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def _diff(obj: Any, fields: dict[str, Any]) -> dict[str, list[Any]]:
    changed = {}
    for name, new in fields.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = [_text(old), _text(new)]
    return changed


def _check_visibility(visibility: str, sensitive: bool, named: list[Organization]) -> None:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who may see this.")})
    if sensitive and visibility == Visibility.PUBLIC:
        raise ValidationError(
            {"visibility": _("A sensitive request cannot be public: choose who may see it.")}
        )
    if visibility == Visibility.NAMED and not named:
        raise ValidationError({"visible_to": _("Name at least one group who may see it.")})


@transaction.atomic
def request_update(
    *,
    user: Any,
    request: SupportRequest,
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
    urgency: int,
    visibility: str,
    visible_to: Iterable[Organization] = (),
    sensitive: bool = False,
    allow_over: bool = False,
    call: CallToAction | None = None,
    campaign: Campaign | None = None,
    money_link: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    below_pledged_ok: bool = False,
    organization: Organization | None = None,
) -> SupportRequest:
    """The requesting group changes its open request. `below_pledged_ok` says it knows it asks
    for less than groups already pledged. `organization`, if given, must be the owner: a
    request never moves to another group."""
    if not permissions.can_manage(user, request):
        raise PermissionDenied(_("Only the requesting group's admins can change this request."))
    if organization is not None and organization.pk != request.organization_id:
        raise PermissionDenied(_("A request stays with the group that asked."))
    # Under the row lock, as pledges are: a pledge arriving meanwhile waits, then sees the change.
    locked = SupportRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != NeedState.OPEN:
        raise ValidationError(_("Only an open request can be changed."))
    currency = _check_amounts(kind, quantity, currency)
    if not title.strip():
        raise ValidationError({"title": _("Say what is needed.")})
    named = _named(visible_to)
    _check_visibility(visibility, sensitive, named)
    if campaign is not None and campaign.pk != locked.campaign_id:
        _check_campaign_open(campaign, locked.organization)
    cut = False
    if quantity is not None and quantity < locked.pledged and not allow_over:
        if not below_pledged_ok:
            raise ValidationError(
                {
                    "quantity": _(
                        "Groups have already pledged %(pledged)s (delivered or not). To ask for "
                        "less, tick the box saying you know; those pledges stand and their "
                        "groups are told."
                    )
                    % {"pledged": locked.amount_label(locked.pledged)}
                }
            )
        cut = True
    if place is None:
        # As when posting: a request is placed where the group is unless it says otherwise.
        place = locked.place or locked.organization.home_place
    fields: dict[str, Any] = {
        "title": title.strip()[:200],
        "description": description,
        "kind": kind,
        "quantity": quantity,
        "currency": currency,
        "unit": unit.strip()[:40],
        "remote": remote,
        "issue_area": issue_area,
        "needed_by": needed_by,
        "due_on": needed_by or NO_DATE,
        "urgency": urgency,
        "visibility": visibility,
        "sensitive": sensitive,
        "allow_over": allow_over,
        "call": call,
        "campaign": campaign,
        "money_link": money_link,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "contact_phone": contact_phone,
        "cut_below_pledged": cut,
        **_place_fields(place),
    }
    changed = _diff(locked, fields)
    before_named = set(locked.visible_to.values_list("pk", flat=True))
    after_named = {o.pk for o in named} if visibility == Visibility.NAMED else set()
    if before_named != after_named:
        changed["visible_to"] = [sorted(before_named), sorted(after_named)]
    if not changed:
        return locked
    old = {name: getattr(locked, name) for name in _TOLD}
    old_campaign = locked.campaign_id
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    if "visible_to" in changed:
        locked.visible_to.set(named if visibility == Visibility.NAMED else [])
    if "campaign" in changed:
        # Pledges carry their request's campaign, so each campaign's roll-up moves with it.
        Pledge.objects.filter(request=locked).update(campaign_id=locked.campaign_id)
        Campaign.objects.filter(pk__in=[old_campaign, locked.campaign_id]).update(
            version=F("version") + 1
        )
    # Contact details are kept out of the log: they are private.
    logged = {k: v for k, v in changed.items() if not k.startswith("contact_")}
    logged.update({k: ["…", "…"] for k in changed if k.startswith("contact_")})
    audit_record(actor=user, action="solidarity.request_update", target=locked, data=logged)
    _tell_pledgers(user, locked, old, changed)
    return locked


def _tell_pledgers(
    user: Any, req: SupportRequest, old: dict[str, Any], changed: dict[str, list[Any]]
) -> None:
    told = [name for name in _TOLD if name in changed]
    if not told:
        return
    orgs = {
        p.organization
        for p in Pledge.objects.filter(request=req, state__in=LIVE_PLEDGE_STATES).select_related(
            "organization"
        )
    }
    if not orgs:
        return
    lines = []
    if "title" in changed:
        lines.append(_("Was called: %(old)s") % {"old": old["title"]})
    if any(name in changed for name in ("kind", "quantity", "currency", "unit")):
        was = old["quantity"]
        lines.append(
            _("Now asks for %(new)s of %(kind)s (was %(old)s of %(old_kind)s).")
            % {
                "new": req.amount_label(req.quantity) or _("as much as comes"),
                "kind": req.get_kind_display().lower(),
                "old": (
                    f"{was:,.2f} {old['currency'] or old['unit']}".strip()
                    if was is not None
                    else _("as much as comes")
                ),
                "old_kind": str(Kind(old["kind"]).label).lower(),
            }
        )
    if "needed_by" in changed:
        lines.append(
            _("Now needed by %(new)s (was %(old)s).")
            % {"new": req.needed_by or _("no date"), "old": old["needed_by"] or _("no date")}
        )
    if req.cut_below_pledged and "quantity" in changed:
        lines.append(
            _(
                "They now ask for less than was pledged. Your pledge stands; tell them on the "
                "request's page if you can no longer give it."
            )
        )
    notify_admins(
        orgs=orgs,
        text=_("%(org)s changed “%(title)s”, which you pledged to.")
        % {"org": req.organization.name, "title": req.title},
        url=req.get_absolute_url(),
        body="\n".join(str(line) for line in lines),
        exclude=user,
    )


@transaction.atomic
def offer_update(
    *,
    user: Any,
    offer: SupportOffer,
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
    visibility: str,
    visible_to: Iterable[Organization] = (),
    contact_name: str = "",
    contact_email: str = "",
    organization: Organization | None = None,
) -> SupportOffer:
    """The offering group changes its offer; a withdrawn offer can be changed and stays
    withdrawn."""
    if not permissions.can_manage(user, offer):
        raise PermissionDenied(_("Only this group's admins can change its offer."))
    if organization is not None and organization.pk != offer.organization_id:
        raise PermissionDenied(_("An offer stays with the group that made it."))
    locked = SupportOffer.objects.select_for_update().get(pk=offer.pk)
    currency = _check_amounts(kind, quantity, currency)
    if not title.strip():
        raise ValidationError({"title": _("Say what you offer.")})
    if available_from and available_until and available_until < available_from:
        raise ValidationError({"available_until": _("The end comes before the start.")})
    named = _named(visible_to)
    _check_visibility(visibility, False, named)
    if place is None and not remote:
        place = locked.place or locked.organization.home_place
    fields: dict[str, Any] = {
        "title": title.strip()[:200],
        "description": description,
        "kind": kind,
        "quantity": quantity,
        "currency": currency,
        "unit": unit.strip()[:40],
        "remote": remote,
        "issue_area": issue_area,
        "one_off": one_off,
        "available_from": available_from,
        "available_until": available_until,
        "visibility": visibility,
        "contact_name": contact_name,
        "contact_email": contact_email,
        **_place_fields(place),
    }
    changed = _diff(locked, fields)
    before_named = set(locked.visible_to.values_list("pk", flat=True))
    after_named = {o.pk for o in named} if visibility == Visibility.NAMED else set()
    if before_named != after_named:
        changed["visible_to"] = [sorted(before_named), sorted(after_named)]
    if not changed:
        return locked
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    if "visible_to" in changed:
        locked.visible_to.set(named if visibility == Visibility.NAMED else [])
    logged = {k: v for k, v in changed.items() if not k.startswith("contact_")}
    logged.update({k: ["…", "…"] for k in changed if k.startswith("contact_")})
    audit_record(actor=user, action="solidarity.offer_update", target=locked, data=logged)
    return locked
