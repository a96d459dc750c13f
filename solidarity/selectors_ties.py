"""Reads of the ties confirmed deliveries make between groups: for a group's page, a
coalition's plot, and the other apps that count ties (whom-to-meet, the bird's-eye view).
Re-exported by solidarity.selectors."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth

from coalitions.models import Membership
from directory.models import Organization
from solidarity.models import RECEIVED_STATES, Pledge, SupportSettings


def confirmed_ties(org_ids: list[int] | None = None) -> list[tuple[int, int, int]]:
    """(helper id, helped id, confirmed deliveries) for every pair of groups, or those touching
    `org_ids`. For the whom-to-meet and bird's-eye views to count."""
    qs = Pledge.objects.filter(state__in=RECEIVED_STATES)
    if org_ids is not None:
        qs = qs.filter(Q(organization_id__in=org_ids) | Q(request__organization_id__in=org_ids))
    rows = (
        qs.values_list("organization_id", "request__organization_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(int(a), int(b), int(n)) for a, b, n in rows]


@dataclass
class Tie:
    organization: Organization
    count: int


def _hidden_ties_q() -> Q:
    """Pledges either group keeps off the pages: by its choice on the pledge, or for good in
    its settings."""
    quiet = SupportSettings.objects.filter(show_ties=False).values("organization_id")
    return (
        Q(pledger_shows=False)
        | Q(requester_shows=False)
        | Q(organization_id__in=quiet)
        | Q(request__organization_id__in=quiet)
    )


def organization_ties(org: Organization) -> tuple[list[Tie], list[Tie]]:
    """Whom the group helped and who helped it, where both groups chose to show it."""
    shown = Pledge.objects.filter(state__in=RECEIVED_STATES).exclude(_hidden_ties_q())
    helped = (
        shown.filter(organization=org, request__organization__is_hidden=False)
        .values("request__organization")
        .annotate(n=Count("id"))
        .order_by()
    )
    helped_by = (
        shown.filter(request__organization=org, organization__is_hidden=False)
        .values("organization")
        .annotate(n=Count("id"))
        .order_by()
    )
    a = {r["request__organization"]: r["n"] for r in helped}
    b = {r["organization"]: r["n"] for r in helped_by}
    orgs = Organization.objects.in_bulk(list(a) + list(b))
    return (
        sorted(
            (Tie(orgs[k], n) for k, n in a.items()), key=lambda t: (-t.count, t.organization.name)
        ),
        sorted(
            (Tie(orgs[k], n) for k, n in b.items()), key=lambda t: (-t.count, t.organization.name)
        ),
    )


def shows_ties(org: Organization) -> bool:
    found = SupportSettings.objects.filter(organization=org).values_list("show_ties", flat=True)
    return next(iter(found), True)


def support_pairs_touching(org_ids: list[int]) -> set[tuple[int, int]]:
    """Pairs (lower id, higher id) of groups tied by a confirmed delivery, one of them among
    `org_ids`: for the whom-to-meet graph, which treats them like any other tie. Two key
    look-ups rather than one OR, as connections does for its own ties."""
    received = Pledge.objects.filter(state__in=RECEIVED_STATES).order_by()
    pairs: set[tuple[int, int]] = set()
    for side in ("organization_id__in", "request__organization_id__in"):
        for a, b in (
            received.filter(**{side: org_ids})
            .values_list("organization_id", "request__organization_id")
            .distinct()
        ):
            if a != b:
                pairs.add((min(a, b), max(a, b)))
    return pairs


@dataclass(frozen=True)
class SupportTie:
    """Two public groups tied by confirmed deliveries, for the bird's-eye view."""

    helper: int
    helped: int
    # Where each group is based (its place's `lft`), or None.
    helper_lft: int | None
    helped_lft: int | None
    deliveries: int
    # Whether both groups show it on their pages: only then may a page name them.
    shown: bool
    last: datetime | None


def support_ties_public() -> list[SupportTie]:
    """Every pair of listed groups one of which helped the other, with a confirmed delivery."""
    base = Pledge.objects.filter(
        state__in=RECEIVED_STATES,
        organization__is_hidden=False,
        request__organization__is_hidden=False,
    ).order_by()
    pair = ("organization_id", "request__organization_id")
    counts = base.values_list(
        *pair, "organization__place_lft", "request__organization__place_lft"
    ).annotate(n=Count("id"), last=Max("settled_at"))
    shown = set(base.exclude(_hidden_ties_q()).values_list(*pair).distinct())
    return [
        SupportTie(int(a), int(b), a_lft, b_lft, int(n), (a, b) in shown, last)
        for a, b, a_lft, b_lft, n, last in counts.iterator(chunk_size=10_000)
        if a != b
    ]


def support_changed_since(when: datetime) -> bool:
    """Whether a delivery was confirmed since `when` (the bird's-eye view recounts then)."""
    return Pledge.objects.filter(state__in=RECEIVED_STATES, settled_at__gte=when).exists()


@dataclass
class Bar:
    month: date
    count: int
    x: int
    y: int
    height: int


def coalition_support_series(
    coalition: Organization, *, width: int = 600, height: int = 160
) -> list[Bar]:
    """Confirmed deliveries between the coalition's members (and the coalition), per month,
    laid out as bars of an SVG plot `width` × `height`."""
    members = list(
        Membership.objects.active().filter(coalition=coalition).values_list("member_id", flat=True)
    ) + [coalition.pk]
    months = list(
        Pledge.objects.filter(
            state__in=RECEIVED_STATES,
            organization_id__in=members,
            request__organization_id__in=members,
        )
        .annotate(month=TruncMonth("settled_at"))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    if not months:
        return []
    top = max(n for _m, n in months)
    step = max(8, width // max(12, len(months)))
    bars = []
    for i, (month, n) in enumerate(months):
        h = max(2, int((height - 20) * n / top))
        day = month.date() if hasattr(month, "date") else month
        bars.append(Bar(day, n, i * step + 2, height - h, h))
    return bars
