"""Reads of a coalition's issue clusters: who is in each, who leads it, and where two clusters
meet (the taxonomy's cross-links, housing ↔ transportation).

A cluster is not a row of its own: it is a coalition and one of its issue areas. A member is in
it when the member's listing has that issue area, unless its admins chose otherwise (a
ClusterChoice row). Calls and conversations live in apps above this one; they are reached
through the reverse relations the directory's listings carry, never imported.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.lookups import Exact
from django.http import Http404

from coalitions.models import ClusterChoice, ClusterLead, LeadStatus, Membership, MembershipStatus
from coalitions.selectors import MemberSummary, coalition_members, coalition_span
from directory import permissions
from directory.models import IssueArea, IssueLink, Organization, OrganizationQuerySet
from places.models import Place

MAX_SHOWN = 10
JOINT_GROUPS_SHOWN = 30


def _related(name: str) -> Any:
    """The model behind one of a listing's reverse relations (calls, commitments,
    conversations), so this app can read them without importing the apps above it."""
    return Organization._meta.get_field(name).related_model


def _has_bits(mask: int, prefix: str = "") -> Q:
    """Rows whose `issue_mask` has every bit of `mask` set."""
    column = F(f"{prefix}issue_mask").bitand(mask)
    return Q(Exact(column, mask))


def coalition_issue_areas(coalition: Organization) -> list[IssueArea]:
    """The issue areas the coalition works on: one cluster each."""
    return list(coalition.issue_areas.order_by("name"))


@dataclass
class Cluster:
    coalition: Organization
    issue: IssueArea


def get_cluster_for_user(user: Any, coalition: Organization, issue_slug: str) -> Cluster:
    """The one access function for a cluster: the coalition has already passed its own
    (get_coalition_for_user); the issue must be one the coalition works on, else 404."""
    issue = coalition.issue_areas.filter(slug=issue_slug).first()
    if issue is None:
        raise Http404("No such cluster.")
    return Cluster(coalition=coalition, issue=issue)


def in_cluster_q(coalition: Organization, issue: IssueArea, prefix: str = "") -> Q:
    """Listings in the cluster, among the coalition's members: tagged with the issue and not
    opted out, or opted in. `prefix` reaches the listing from another model ("organization__")."""
    choices = ClusterChoice.objects.filter(coalition=coalition, issue=issue)
    opted_in = choices.filter(joined=True).values("member_id")
    opted_out = choices.filter(joined=False).values("member_id")
    tagged = _has_bits(1 << issue.bit, prefix) & ~Q(**{f"{prefix}pk__in": opted_out})
    return tagged | Q(**{f"{prefix}pk__in": opted_in})


def _member_in(coalition: Organization, issues: tuple[IssueArea, ...], prefix: str) -> Q:
    """The listing at `prefix` is a public, active member of the coalition in every one of
    `issues`' clusters. Written from the other model's side, so that a query over calls or
    conversations starts from those (few) rows and never lists the members first."""
    outer = OuterRef(f"{prefix[:-2]}_id") if prefix else OuterRef("pk")
    active = Membership.objects.filter(
        coalition=coalition, member=outer, status=MembershipStatus.ACTIVE
    )
    q = Q(**{f"{prefix}is_hidden": False}) & Q(Exists(active))
    for issue in issues:
        q &= in_cluster_q(coalition, issue, prefix)
    return q


def cluster_members(coalition: Organization, *issues: IssueArea) -> OrganizationQuerySet:
    """The public active members of the coalition in every one of `issues`' clusters."""
    rows = coalition_members(coalition)
    for issue in issues:
        rows = rows.filter(in_cluster_q(coalition, issue))
    return rows


def is_in_cluster(coalition: Organization, issue: IssueArea, org: Organization) -> bool:
    choice = ClusterChoice.objects.filter(coalition=coalition, issue=issue, member=org).first()
    if choice is not None:
        return choice.joined
    return bool(org.issue_mask >> issue.bit & 1)


def is_active_member(coalition: Organization, org: Organization) -> bool:
    return Membership.objects.filter(
        coalition=coalition, member=org, status=MembershipStatus.ACTIVE
    ).exists()


def joint_pairs(areas: list[IssueArea]) -> list[tuple[IssueArea, IssueArea, str]]:
    """Pairs of the given areas that the taxonomy cross-links, each once, by name."""
    by_pk = {a.pk: a for a in areas}
    pairs = []
    for link in IssueLink.objects.filter(from_issue__in=list(by_pk), to_issue__in=list(by_pk)):
        a, b = sorted((by_pk[link.from_issue_id], by_pk[link.to_issue_id]), key=lambda x: x.name)
        pairs.append((a, b, link.note))
    return sorted(pairs, key=lambda p: (p[0].name, p[1].name))


# --- The coalition page's clusters section ---------------------------------------------------


@dataclass
class ClusterRow:
    issue: IssueArea
    count: int
    leads: list[Organization] = field(default_factory=list)
    # Offers waiting for the coalition's answer (shown to its admins only).
    waiting: int = 0


@dataclass
class JointRow:
    a: IssueArea
    b: IssueArea
    note: str
    count: int


@dataclass
class ClusterOverview:
    clusters: list[ClusterRow]
    joints: list[JointRow]


def confirmed_leads(
    coalition: Organization, statuses: tuple[str, ...] = (LeadStatus.CONFIRMED,)
) -> QuerySet[ClusterLead]:
    """Confirmed leads (or leads in `statuses`) that are public, active members of the
    coalition."""
    return (
        ClusterLead.objects.filter(
            coalition=coalition,
            status__in=statuses,
            organization__is_hidden=False,
            organization__coalition_links__coalition=coalition,
            organization__coalition_links__status=MembershipStatus.ACTIVE,
        )
        .select_related("organization", "issue")
        .order_by("organization__name", "organization_id")
    )


def cluster_overview(coalition: Organization, summary: MemberSummary) -> ClusterOverview:
    """Every cluster's size and leads, and the size of each joint cluster.

    The default sizes come from the members already grouped by issue mask for the page
    (`summary`), so they cost no query; the few members whose admins chose otherwise are read
    in one more query and their contribution corrected. One query for the leads makes three
    in all, however many clusters and members there are.
    """
    areas = coalition_issue_areas(coalition)
    if not areas:
        return ClusterOverview(clusters=[], joints=[])
    pairs = joint_pairs(areas)
    bits = {a.bit for a in areas}
    wanted = sum(1 << b for b in bits)
    single = dict.fromkeys(bits, 0)
    both = {(a.bit, b.bit): 0 for a, b, _ in pairs}

    def add(mask: int, n: int) -> None:
        for bit in single:
            if mask >> bit & 1:
                single[bit] += n
        for x, y in both:
            if mask >> x & 1 and mask >> y & 1:
                both[(x, y)] += n

    for mask, n in summary.by_mask.items():
        add(mask & wanted, n)
    chosen = ClusterChoice.objects.filter(
        coalition=coalition,
        issue__bit__in=list(bits),
        member__is_hidden=False,
        member__coalition_links__coalition=coalition,
        member__coalition_links__status=MembershipStatus.ACTIVE,
    ).values_list("member_id", "issue__bit", "joined", "member__issue_mask")
    effective: dict[int, tuple[int, int]] = {}
    for member_id, bit, joined, mask in chosen:
        default, now = effective.get(member_id, (mask & wanted, mask & wanted))
        now = now | (1 << bit) if joined else now & ~(1 << bit)
        effective[member_id] = (default, now)
    for default, now in effective.values():
        add(default, -1)
        add(now, 1)

    leads: dict[int, list[Organization]] = {}
    waiting: dict[int, int] = {}
    for lead in confirmed_leads(coalition, (LeadStatus.CONFIRMED, LeadStatus.VOLUNTEERED)):
        if lead.status == LeadStatus.CONFIRMED:
            leads.setdefault(lead.issue_id, []).append(lead.organization)
        else:
            waiting[lead.issue_id] = waiting.get(lead.issue_id, 0) + 1
    return ClusterOverview(
        clusters=[
            ClusterRow(a, single[a.bit], leads.get(a.pk, []), waiting.get(a.pk, 0)) for a in areas
        ],
        joints=[JointRow(a, b, note, both[(a.bit, b.bit)]) for a, b, note in pairs],
    )


def mask_summary(coalition: Organization) -> MemberSummary:
    """The coalition's public members grouped by issue mask alone: what a cluster page needs
    to count its cluster and the joint ones, in one grouped query."""
    rows = coalition_members(coalition).order_by().values_list("issue_mask").annotate(n=Count("id"))
    by_mask: dict[int, int] = {}
    total = 0
    for mask, n in rows:
        total += n
        if mask:
            by_mask[mask] = by_mask.get(mask, 0) + n
    return MemberSummary(total=total, by_lft={}, by_mask=by_mask)


# --- Calls and conversations on an issue -----------------------------------------------------


def cluster_calls(coalition: Organization, *issues: IssueArea) -> QuerySet[Any]:
    """Calls on every one of `issues` that the coalition issued, or that groups in all those
    clusters issued or committed to; public ones only (a call is as visible as its issuer)."""
    call_model = _related("calls_issued")
    commitment_model = _related("commitments")
    committed = commitment_model.objects.active().filter(
        Q(call=OuterRef("pk")) & _member_in(coalition, issues, "organization__")
    )
    mask = sum(1 << i.bit for i in issues)
    return (
        call_model.objects.filter(_has_bits(mask))
        .filter(
            Q(coalition=coalition)
            | (Q(coalition__is_hidden=False) & _member_in(coalition, issues, "coalition__"))
            | (Q(coalition__is_hidden=False) & Q(Exists(committed)))
        )
        .order_by("-created_at", "-id")
    )


def cluster_conversations(
    coalition: Organization, call_ids: list[int], *issues: IssueArea
) -> list[Any]:
    """Public conversations on those calls, and those of groups in all the clusters whose own
    listing names every one of the issues. Private conversations stay with their own pages."""
    conversation_model = _related("conversations")
    mask = sum(1 << i.bit for i in issues)
    public = (
        Q(is_private=False) & ~Q(organization__is_hidden=True) & ~Q(call__coalition__is_hidden=True)
    )
    of_groups = _has_bits(mask, "organization__") & _member_in(coalition, issues, "organization__")
    rows = conversation_model.objects.filter(public).filter(Q(call_id__in=call_ids) | of_groups)
    return list(rows.order_by("is_closed", "-created_at")[:MAX_SHOWN])


MAX_CALLS_READ = 500


@dataclass
class Work:
    calls: list[Any]
    conversations: list[Any]


def cluster_work(coalition: Organization, *issues: IssueArea) -> Work:
    """The calls and conversations on every one of `issues` (see the two functions above).

    The calls' query is the costly one to build, so it runs once for their ids; the page's
    few calls and the conversations on any of them are then read by those ids.
    """
    ids = list(cluster_calls(coalition, *issues).values_list("pk", flat=True)[:MAX_CALLS_READ])
    calls = _related("calls_issued").objects.filter(pk__in=ids[:MAX_SHOWN])
    return Work(
        calls=list(calls.order_by("-created_at", "-id")),
        conversations=cluster_conversations(coalition, ids, *issues),
    )


# --- Who is already active: shown beside each volunteer --------------------------------------


@dataclass
class LeadRecord:
    """What the hub knows of a group's work on one issue, for admins weighing an offer."""

    listed_on_issue: bool
    listed_since: datetime
    member_since: datetime | None
    calls_on_issue: int
    first_call_at: datetime | None
    live_calls: list[Any]
    home: Place | None
    in_area: bool | None  # None when the coalition has not said what area it spans

    @property
    def active_since(self) -> datetime | None:
        """The earliest sign of work on the issue: its listing under it or its first call."""
        listed = self.listed_since if self.listed_on_issue else None
        dates = [d for d in (listed, self.first_call_at) if d is not None]
        return min(dates) if dates else None


def _inside(span: Place, org: Organization) -> bool:
    """Whether the group is based in, or serves a place in, the coalition's area."""
    areas = [span] if not span.is_overlay else list(span.members.all())
    lfts = [org.place_lft] if org.place_lft is not None else []
    lfts += list(org.service_areas.values_list("lft", flat=True))
    return any(a.lft <= lft <= a.rgt for a in areas for lft in lfts)


def lead_record(coalition: Organization, issue: IssueArea, org: Organization) -> LeadRecord:
    bit = 1 << issue.bit
    call_model = _related("calls_issued")
    commitment_model = _related("commitments")
    # Calls of hidden coalitions are left out: this record is shown on a public page.
    on_issue = commitment_model.objects.filter(
        organization=org, call__coalition__is_hidden=False
    ).filter(_has_bits(bit, "call__"))
    seen = on_issue.aggregate(first=Min("created_at"), calls=Count("call_id", distinct=True))
    live = (
        call_model.objects.open_for_commitments()
        .filter(_has_bits(bit), coalition__is_hidden=False)
        .filter(
            Q(coalition=org)
            | Q(pk__in=commitment_model.objects.active().filter(organization=org).values("call_id"))
        )
        .order_by("deadline")[:MAX_SHOWN]
    )
    membership = Membership.objects.filter(
        coalition=coalition, member=org, status=MembershipStatus.ACTIVE
    ).first()
    span = coalition_span(coalition)
    return LeadRecord(
        listed_on_issue=bool(org.issue_mask & bit),
        listed_since=org.created_at,
        member_since=(membership.decided_at or membership.created_at) if membership else None,
        calls_on_issue=seen["calls"],
        first_call_at=seen["first"],
        live_calls=list(live),
        home=org.home_place,
        in_area=_inside(span, org) if span is not None else None,
    )


# --- Leads and one's own groups --------------------------------------------------------------


def get_lead_for_user(user: Any, pk: int) -> ClusterLead:
    """A lead offer, for the admins of either side; a confirmed lead of public listings is
    public knowledge. Anything else is 404, so offers and refusals are not revealed."""
    lead = (
        ClusterLead.objects.select_related("coalition", "organization", "issue")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404("No such lead.")
    if permissions.is_organization_admin(user, lead.coalition) or permissions.is_organization_admin(
        user, lead.organization
    ):
        return lead
    public = not lead.coalition.is_hidden and not lead.organization.is_hidden
    if lead.status == LeadStatus.CONFIRMED and public:
        return lead
    raise Http404("No such lead.")


def cluster_leads(user: Any, cluster: Cluster) -> dict[str, list[ClusterLead]]:
    """The cluster's confirmed leads for everyone; offers waiting for an answer for the
    coalition's admins and for the offering group's own admins."""
    confirmed = [
        lead for lead in confirmed_leads(cluster.coalition) if lead.issue_id == cluster.issue.pk
    ]
    waiting = ClusterLead.objects.filter(
        coalition=cluster.coalition, issue=cluster.issue, status=LeadStatus.VOLUNTEERED
    ).select_related("organization")
    if not permissions.is_organization_admin(user, cluster.coalition):
        waiting = waiting.filter(
            organization_id__in=permissions.administered_organization_ids(user)
        )
    return {"confirmed": confirmed, "waiting": list(waiting.order_by("created_at"))}


@dataclass
class OwnGroup:
    """One of the signed-in person's member groups, as the cluster page offers it choices."""

    org: Organization
    in_cluster: bool
    by_default: bool
    lead: ClusterLead | None


def own_groups_in(user: Any, cluster: Cluster) -> list[OwnGroup]:
    """The person's groups that are active members of the coalition, each with whether it is
    in this cluster (and whether by its tags or its admins' choice) and its lead offer."""
    own = permissions.administered_organization_ids(user)
    if not own:
        return []
    members = Organization.objects.filter(
        pk__in=own,
        coalition_links__coalition=cluster.coalition,
        coalition_links__status=MembershipStatus.ACTIVE,
    ).order_by("name", "id")
    choices = {
        c.member_id: c
        for c in ClusterChoice.objects.filter(
            coalition=cluster.coalition, issue=cluster.issue, member_id__in=own
        )
    }
    leads = {
        lead.organization_id: lead
        for lead in ClusterLead.objects.filter(
            coalition=cluster.coalition, issue=cluster.issue, organization_id__in=own
        )
    }
    rows = []
    for org in members:
        choice = choices.get(org.pk)
        tagged = bool(org.issue_mask >> cluster.issue.bit & 1)
        rows.append(
            OwnGroup(
                org=org,
                in_cluster=choice.joined if choice else tagged,
                by_default=choice is None,
                lead=leads.get(org.pk),
            )
        )
    return rows


def member_clusters(coalition: Organization, org: Organization) -> list[tuple[IssueArea, bool]]:
    """Each of the coalition's clusters with whether `org` is in it, for its membership page."""
    choices = dict(
        ClusterChoice.objects.filter(coalition=coalition, member=org).values_list(
            "issue_id", "joined"
        )
    )
    return [
        (a, choices.get(a.pk, bool(org.issue_mask >> a.bit & 1)))
        for a in coalition_issue_areas(coalition)
    ]
