"""Reads of the solidarity app, each limited to what the person (or group) may see."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BigIntegerField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Round
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from actions.rollup import place_index, rollup_level
from directory import permissions as directory_permissions
from directory.models import Organization, Standing
from places.models import Place
from solidarity import permissions
from solidarity.models import (
    LIVE_PLEDGE_STATES,
    RECEIVED_STATES,
    Campaign,
    NeedState,
    Pledge,
    SupportOffer,
    SupportRequest,
    Visibility,
)

MATCHES_PER_OFFER = 20
# A page of matches: the most urgent across all of a group's offers.
MAX_MATCHES = 50


def requests_for_user(user: Any) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(permissions.visible_q(user)).select_related(
        "organization", "place", "issue_area"
    )


def offers_for_user(user: Any) -> QuerySet[SupportOffer]:
    return SupportOffer.objects.filter(
        permissions.visible_q(user, model=SupportOffer)
    ).select_related("organization", "place", "issue_area")


def public_requests() -> QuerySet[SupportRequest]:
    """What may leave the hub (feeds, the API, Murmurations): public, not sensitive, open."""
    return SupportRequest.objects.filter(
        visibility=Visibility.PUBLIC,
        sensitive=False,
        state=NeedState.OPEN,
        organization__is_hidden=False,
    ).select_related("organization", "place", "issue_area")


def public_offers() -> QuerySet[SupportOffer]:
    return SupportOffer.objects.filter(
        visibility=Visibility.PUBLIC, active=True, organization__is_hidden=False
    ).select_related("organization", "place", "issue_area")


def get_request_for_user(user: Any, pk: int, *, write: bool = False) -> SupportRequest:
    req = requests_for_user(user).filter(pk=pk).first()
    if req is None:
        raise Http404(_("No such request."))
    if write and not permissions.can_manage(user, req):
        raise PermissionDenied(_("Only the requesting group's admins can change this request."))
    return req


def get_offer_for_user(user: Any, pk: int, *, write: bool = False) -> SupportOffer:
    offer = offers_for_user(user).filter(pk=pk).first()
    if offer is None:
        raise Http404(_("No such offer."))
    if write and not permissions.can_manage(user, offer):
        raise PermissionDenied(_("Only this group's admins can change its offer."))
    return offer


def get_pledge_for_user(user: Any, pk: int) -> Pledge:
    pledge = (
        Pledge.objects.select_related("request__organization", "organization").filter(pk=pk).first()
    )
    if pledge is None or not permissions.can_see_pledge(user, pledge):
        raise Http404(_("No such pledge."))
    return pledge


def get_campaign(slug: str) -> Campaign:
    campaign = Campaign.objects.select_related("coalition", "scope", "call").filter(slug=slug)
    found = campaign.first()
    if found is None or found.coalition.is_hidden:
        raise Http404(_("No such campaign."))
    return found


def pledges_for_user(user: Any, req: SupportRequest) -> list[Pledge]:
    """All pledges for the requester's admins; a pledging group's own pledges for its admins."""
    qs = Pledge.objects.filter(request=req).select_related("organization", "referred_to")
    if permissions.can_manage(user, req):
        return list(qs)
    return list(qs.filter(organization_id__in=permissions.own_ids(user)))


def request_contact_for_user(user: Any, req: SupportRequest) -> dict[str, str] | None:
    """The requester's contact, only for a group whose pledge the requester accepted."""
    if permissions.can_manage(user, req):
        return _contact(req)
    agreed = Pledge.objects.filter(
        request=req, organization_id__in=permissions.own_ids(user), accepted_at__isnull=False
    ).exists()
    return _contact(req) if agreed else None


def _contact(posting: Any) -> dict[str, str]:
    fields = ("contact_name", "contact_email", "contact_phone")
    return {f: getattr(posting, f, "") for f in fields if getattr(posting, f, "")}


def administered(user: Any) -> list[Organization]:
    return list(
        Organization.objects.filter(pk__in=permissions.own_ids(user)).order_by("name", "id")
    )


# Matching --------------------------------------------------------------------------------------


@dataclass
class Match:
    request: SupportRequest
    offer: SupportOffer
    reasons: list[str]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _visible_as_org_q(org_id: int) -> Q:
    """Requests shared with this group, for matching. The group's named shares and coalition
    peers are read once, so the matching queries carry plain lists instead of subqueries."""
    named = list(
        SupportRequest.visible_to.through.objects.filter(organization_id=org_id).values_list(
            "supportrequest_id", flat=True
        )
    )
    peers = list(
        Organization.objects.filter(permissions.coalition_peer_q([org_id], "pk")).values_list(
            "pk", flat=True
        )
    )
    # Coalition-only requests are not matched to a group nobody has vouched for (vouching/).
    if not Organization.objects.filter(pk=org_id, standing=Standing.VERIFIED).exists():
        peers = []
    q = Q(visibility=Visibility.PUBLIC)
    if named:
        q |= Q(visibility=Visibility.NAMED, pk__in=named)
    if peers:
        q |= Q(visibility=Visibility.COALITIONS, organization_id__in=peers)
    return q


def _reach(
    offer: SupportOffer, org: Organization, served: list[tuple[int, int]] | None = None
) -> list[tuple[int, int]] | None:
    """The tree ranges an offer reaches, or None for anywhere. `served` is the group's service
    areas' ranges when the caller has read them already."""
    if offer.remote or offer.place_lft is None or offer.place_rgt is None:
        return None
    ranges = [(offer.place_lft, offer.place_rgt)]
    if offer.place_id == org.home_place_id:
        # An offer made from home reaches wherever the group serves too.
        if served is None:
            served = _served(org)
        ranges += served
    return ranges


def _served(org: Organization) -> list[tuple[int, int]]:
    return list(org.service_areas.order_by().values_list("lft", "rgt"))


def _requests_for_offer(
    offer: SupportOffer,
    org: Organization,
    today: date,
    visible: Q,
    reach: list[tuple[int, int]] | None,
) -> list[tuple[int, int, date]]:
    """(id, urgency, due date) of at most MATCHES_PER_OFFER requests, most urgent and soonest
    first. A request "in reach" is one query per range and one for requests that can be helped
    from anywhere, each reading the (state, kind, …) indexes, rather than one OR that no index
    serves; only keys are read here, the rows shown are fetched once for the whole page."""
    since = max(today, offer.available_from) if offer.available_from else today
    base = (
        SupportRequest.objects.filter(state=NeedState.OPEN, kind=offer.kind, due_on__gte=since)
        .exclude(organization_id=org.pk)
        .filter(visible)
    )
    if offer.issue_area_id:
        base = base.filter(Q(issue_area__isnull=True) | Q(issue_area_id=offer.issue_area_id))
    parts = (
        [base]
        if reach is None
        else [base.filter(remote=True)]
        + [base.filter(place_lft__gte=lo, place_lft__lte=hi) for lo, hi in reach]
    )
    found: set[tuple[int, int, date]] = set()
    for qs in parts:
        found.update(
            qs.order_by("-urgency", "due_on", "id").values_list("pk", "urgency", "due_on")[
                :MATCHES_PER_OFFER
            ]
        )
    return sorted(found, key=lambda k: (-k[1], k[2], k[0]))[:MATCHES_PER_OFFER]


def _reasons(req: SupportRequest, offer: SupportOffer, reach: Any) -> list[str]:
    reasons = [_("needs %(kind)s, which you offer") % {"kind": req.get_kind_display().lower()}]
    if req.remote:
        reasons.append(_("can be helped from anywhere"))
    elif req.place is not None:
        if reach is None:
            reasons.append(_("in %(place)s, and you help anywhere") % {"place": req.place.name})
        else:
            reasons.append(_("in %(place)s, within your area") % {"place": req.place.name})
    if req.needed_by:
        reasons.append(
            _("needed by %(date)s") % {"date": formats.date_format(req.needed_by, "DATE_FORMAT")}
        )
    if req.issue_area_id and req.issue_area_id == offer.issue_area_id and req.issue_area:
        reasons.append(_("same issue: %(issue)s") % {"issue": req.issue_area.name})
    if req.urgency == 3:
        reasons.append(_("urgent"))
    return reasons


def matches_for_organization(org: Organization, *, today: date | None = None) -> list[Match]:
    """Open requests the group's active offers could meet, most urgent first, with the reason."""
    today = today or timezone.localdate()
    offers = list(
        SupportOffer.objects.filter(organization=org, active=True)
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
        .select_related("issue_area")
    )
    best: dict[int, tuple[tuple[int, int, date], SupportOffer]] = {}
    visible = _visible_as_org_q(org.pk) if offers else Q()
    # The group's service areas are read once, for every offer made from its home.
    served = _served(org) if any(o.place_id == org.home_place_id for o in offers) else []
    reach = {offer.pk: _reach(offer, org, served) for offer in offers}
    for offer in offers:
        for key in _requests_for_offer(offer, org, today, visible, reach[offer.pk]):
            best.setdefault(key[0], (key, offer))
    shown = sorted(best.values(), key=lambda kv: (-kv[0][1], kv[0][2], kv[0][0]))[:MAX_MATCHES]
    rows = SupportRequest.objects.select_related("organization", "place", "issue_area").in_bulk(
        [key[0] for key, _offer in shown]
    )
    return [
        Match(rows[key[0]], offer, _reasons(rows[key[0]], offer, reach[offer.pk]))
        for key, offer in shown
        if key[0] in rows
    ]


def offers_for_request(req: SupportRequest, *, today: date | None = None) -> list[Match]:
    """Public or shared offers of other groups that reach this request, for its requester."""
    today = today or timezone.localdate()
    qs = (
        SupportOffer.objects.filter(active=True, kind=req.kind)
        .exclude(organization_id=req.organization_id)
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
        .filter(
            Q(visibility=Visibility.PUBLIC)
            | (
                Q(visibility=Visibility.COALITIONS)
                & permissions.coalition_peer_q([req.organization_id])
            )
        )
        .select_related("organization", "place", "issue_area")
    )
    if not req.remote and req.place_lft is not None:
        lft = req.place_lft
        qs = qs.filter(Q(remote=True) | Q(place_lft__lte=lft, place_rgt__gte=lft))
    if req.issue_area_id:
        qs = qs.filter(Q(issue_area__isnull=True) | Q(issue_area_id=req.issue_area_id))
    matches = []
    for offer in qs.order_by("-created_at")[:MATCHES_PER_OFFER]:
        reach = None if offer.remote else [(offer.place_lft, offer.place_rgt)]
        matches.append(Match(req, offer, _reasons(req, offer, reach)))
    return matches


def unmatched_for_coordinator(user: Any) -> tuple[QuerySet[SupportRequest], int] | None:
    """Open requests without a pledge inside the places this person coordinates (all of them
    for a site coordinator); sensitive ones are only counted. None if they coordinate nothing."""
    if directory_permissions.is_site_coordinator(user):
        scope = Q()
    else:
        found = directory_permissions.coordinator_scope_q(user, "place_lft")
        if found is None:
            return None
        scope = found
    base = SupportRequest.objects.filter(
        scope, state=NeedState.OPEN, pledge_count=0, standing=False
    )
    sensitive = base.filter(sensitive=True).count()
    shown = (
        base.filter(sensitive=False)
        .select_related("organization", "place")
        .order_by("-urgency", "due_on", "id")
    )
    return shown, sensitive


# Campaigns -------------------------------------------------------------------------------------

# Pledges whose group is giving or gave: counted among a campaign's contributing groups.
_GIVING_STATES = [*LIVE_PLEDGE_STATES, *RECEIVED_STATES]
# Amounts in whole cents, summed by the database as integers: exact, and no Decimal per row.
_CENTS = BigIntegerField()
_COUNTED_CENTS = Cast(
    Sum(
        Case(
            When(state__in=LIVE_PLEDGE_STATES, then=Round(F("amount") * 100)),
            When(state__in=RECEIVED_STATES, then=Round(F("received_amount") * 100)),
            default=Value(0),
            output_field=_CENTS,
        )
    ),
    _CENTS,
)
_RECEIVED_CENTS = Cast(
    Sum(Round(F("received_amount") * 100), filter=Q(state__in=RECEIVED_STATES)), _CENTS
)


@dataclass
class RollupRow:
    place: Place
    pledged: Decimal
    received: Decimal
    groups: int


@dataclass
class CampaignTotals:
    pledged: Decimal
    received: Decimal
    groups: int
    rows: list[RollupRow]
    level: str
    # Places with pledges beyond the rows shown (a world-wide campaign by county).
    more: int = 0

    def percent(self, target: Decimal) -> int:
        return min(100, int(self.received * 100 / target)) if target else 0


def _cents(value: Any) -> int:
    return int(value or 0)


# Per-process roll-ups of recently viewed campaigns: (campaign id, level) → (campaign version,
# places version, totals). A pledge bumps its campaign's version, so a cached table is never
# shown after a change.
_rollups: "OrderedDict[tuple[int, str], tuple[int, int, CampaignTotals]]" = OrderedDict()
ROLLUPS_KEPT = 500
# Rows of a campaign's table: the places that gave most.
MAX_ROLLUP_ROWS = 100


def campaign_rollup(campaign: Campaign, *, level: str = "state") -> CampaignTotals:
    """Pledges and confirmed deliveries to the campaign's requests, rolled up by where the
    pledging groups are, at `level`. Uses the calls-to-action roll-up over the place tree."""
    index = place_index()
    version = Campaign.objects.filter(pk=campaign.pk).values_list("version", flat=True).first()
    key = (campaign.pk, level)
    cached = _rollups.get(key)
    if cached is not None and cached[0] == version and cached[1] == index.version:
        _rollups.move_to_end(key)
        return cached[2]
    totals = _campaign_rollup(campaign, level, index)
    # What is read inside a transaction may yet be rolled back.
    if version is not None and not connection.in_atomic_block:
        _rollups[key] = (version, index.version, totals)
        while len(_rollups) > ROLLUPS_KEPT:
            _rollups.popitem(last=False)
    return totals


def _campaign_rollup(campaign: Campaign, level: str, index: Any) -> CampaignTotals:
    grouped = (
        Pledge.objects.filter(campaign=campaign)
        .values_list("place_lft")
        .annotate(
            live_total=_COUNTED_CENTS,
            received=_RECEIVED_CENTS,
            groups=Count("organization", distinct=True, filter=Q(state__in=_GIVING_STATES)),
        )
        .order_by()
    )
    # Read as plain tuples: the sums are whole cents already, and Django's per-value converters
    # cost more than the query on a campaign with thousands of places.
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(r[0], _cents(r[1]), _cents(r[2]), int(r[3] or 0)) for r in cursor.fetchall()]
    placed = np.array([r for r in rows if r[0] is not None], dtype=np.int64).reshape(-1, 4)
    away = [r for r in rows if r[0] is None]
    # Money in cents, so the sums stay exact. A group has one place, so groups counted per
    # place add up without counting one twice.
    totals = placed[:, 1:].sum(axis=0).tolist() if len(placed) else [0, 0, 0]
    for r in away:
        totals = [totals[0] + r[1], totals[1] + r[2], totals[2] + r[3]]
    # Only the places of the level asked for, inside the scope, are summed: the page shows one
    # level, so the roll-up looks up each pledging place's state (say) and no other place.
    lo, hi = campaign.scope.lft, campaign.scope.rgt
    within = None if campaign.scope.is_overlay or campaign.scope.parent_id is None else (lo, hi)
    ids, (pledged, received, groups) = rollup_level(
        index, level, placed[:, 0], [placed[:, 1], placed[:, 2], placed[:, 3]], within
    )
    order = sorted(range(len(ids)), key=lambda i: (-int(received[i]), -int(pledged[i])))
    more = max(0, len(order) - MAX_ROLLUP_ROWS)
    # The rows shown are the places that gave most; only their names are read.
    order = order[:MAX_ROLLUP_ROWS]
    places = Place.objects.in_bulk([ids[i] for i in order])
    table = [
        RollupRow(
            places[ids[i]],
            Decimal(int(pledged[i])) / 100,
            Decimal(int(received[i])) / 100,
            int(groups[i]),
        )
        for i in order
        if ids[i] in places
    ]
    table.sort(key=lambda r: (-r.received, -r.pledged, r.place.name))
    return CampaignTotals(
        pledged=Decimal(totals[0]) / 100,
        received=Decimal(totals[1]) / 100,
        groups=totals[2],
        rows=table,
        level=level,
        more=more,
    )


def campaigns_for_call(call: Any) -> list[Campaign]:
    return list(Campaign.objects.filter(call=call, closed=False, coalition__is_hidden=False))


def campaign_requests(user: Any, campaign: Campaign) -> QuerySet[SupportRequest]:
    return requests_for_user(user).filter(campaign=campaign).order_by("-urgency", "due_on", "id")
