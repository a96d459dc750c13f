"""Campaigns run by coalitions, and the place copies kept after the tree is renumbered."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.services import audit_record
from actions.models import CallToAction
from directory.models import Organization
from places.models import Place
from solidarity import permissions
from solidarity.models import (
    Campaign,
    Pledge,
    SupportOffer,
    SupportRequest,
)
from solidarity.services._shared import _check_amounts

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
