"""Issue cluster pages: a cluster's members, leads, calls and conversations, where it meets the
clusters its issue crosshatches with, and the steps a group and the coalition take there."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coalitions import cluster_selectors as clusters
from coalitions import cluster_services, selectors
from coalitions.forms import (
    ClusterChoiceForm,
    LeadAnswerForm,
    LeaveForm,
    RemoveForm,
    VolunteerForm,
)
from coalitions.models import ClusterLead, MembershipStatus
from coalitions.views import MEMBERS_PER_PAGE, _page_number, own_groups
from directory import permissions


def _cluster(request: HttpRequest, slug: str, issue: str) -> clusters.Cluster:
    coalition = selectors.get_coalition_for_user(request.user, slug)
    return clusters.get_cluster_for_user(request.user, coalition, issue)


def _joints(cluster: clusters.Cluster, overview: clusters.ClusterOverview) -> list[dict[str, Any]]:
    """Each cluster this one's issue crosshatches with: the groups in both, and the calls and
    conversations on both issues. The counts come from the overview's one grouped query."""
    coalition, issue = cluster.coalition, cluster.issue
    rows = []
    for joint in overview.joints:
        if issue not in (joint.a, joint.b):
            continue
        other = joint.b if joint.a == issue else joint.a
        work = clusters.cluster_work(coalition, issue, other)
        # No query for the groups in both when the count already says there are none.
        both = clusters.cluster_members(coalition, issue, other)
        groups = list(both[: clusters.JOINT_GROUPS_SHOWN]) if joint.count else []
        rows.append(
            {
                "other": other,
                "note": joint.note,
                "count": joint.count,
                "groups": groups,
                "calls": work.calls,
                "conversations": work.conversations,
            }
        )
    return rows


def _context(request: HttpRequest, cluster: clusters.Cluster, problem: str = "") -> dict:
    user = request.user
    coalition, issue = cluster.coalition, cluster.issue
    overview = clusters.cluster_overview(coalition, clusters.mask_summary(coalition))
    total = next(row.count for row in overview.clusters if row.issue == issue)
    rows = clusters.cluster_members(coalition, issue)
    members = selectors.rows_page(rows, _page_number(request), MEMBERS_PER_PAGE, total)
    leads = clusters.cluster_leads(user, cluster)
    is_admin = permissions.is_organization_admin(user, coalition)
    # What each group has done on the issue is shown beside its offer and its lead, so the
    # coalition's admins confirm those already at work there.
    records = {
        lead.pk: clusters.lead_record(coalition, issue, lead.organization)
        for lead in leads["confirmed"] + leads["waiting"]
    }
    work = clusters.cluster_work(coalition, issue)
    return {
        "coalition": coalition,
        "issue": issue,
        "members": members,
        "show_service_areas": selectors.has_service_areas(),
        "confirmed": [(lead, records[lead.pk]) for lead in leads["confirmed"]],
        "waiting": [(lead, records[lead.pk]) for lead in leads["waiting"]],
        "calls": work.calls,
        "conversations": work.conversations,
        "joints": _joints(cluster, overview),
        "own": clusters.own_groups_in(user, cluster),
        "is_admin": is_admin,
        "signed_in": user.is_authenticated,
        "problem": problem,
    }


@require_GET
def cluster(request: HttpRequest, slug: str, issue: str) -> HttpResponse:
    found = _cluster(request, slug, issue)
    return render(request, "coalitions/cluster.html", _context(request, found))


@require_GET
def cluster_map(request: HttpRequest, slug: str, issue: str) -> JsonResponse:
    found = _cluster(request, slug, issue)
    rows = clusters.cluster_members(found.coalition, found.issue)
    return JsonResponse(
        {
            "points": selectors.coalition_map_points(found.coalition, rows),
            "served": selectors.coalition_served_points(found.coalition, rows),
        }
    )


def _member_groups(request: HttpRequest, cluster: clusters.Cluster) -> Any:
    """The person's groups that are members of the coalition: only they act in its clusters,
    and someone with none is refused outright rather than shown a form."""
    own = own_groups(request.user).filter(
        coalition_links__coalition=cluster.coalition,
        coalition_links__status=MembershipStatus.ACTIVE,
    )
    if not own.exists():
        raise PermissionDenied(_("Only the admins of a member group can act in its clusters."))
    return own


def _refused(request: HttpRequest, cluster: clusters.Cluster, form: Form, error: Any) -> Any:
    """Show the cluster page again with why the step was refused."""
    if error is not None:
        problem = " ".join(error.messages)
    else:
        problem = " ".join(str(m) for errors in form.errors.values() for m in errors)
    context = _context(request, cluster, problem=problem)
    return render(request, "coalitions/cluster.html", context, status=400)


def _done(request: HttpRequest, cluster: clusters.Cluster, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("coalitions:cluster", cluster.coalition.slug, cluster.issue.slug)


@require_POST
@login_required
def cluster_choose(request: HttpRequest, slug: str, issue: str) -> HttpResponse:
    found = _cluster(request, slug, issue)
    form = ClusterChoiceForm(request.POST, own=_member_groups(request, found))
    if not form.is_valid():
        return _refused(request, found, form, None)
    group = form.cleaned_data["group"]
    joining = form.cleaned_data["decision"] == "join"
    step = cluster_services.cluster_join if joining else cluster_services.cluster_leave
    try:
        step(user=request.user, coalition=found.coalition, issue=found.issue, member=group)
    except ValidationError as error:
        return _refused(request, found, form, error)
    names = {"group": group.name, "issue": found.issue.name}
    if joining:
        return _done(request, found, _("%(group)s is in the %(issue)s cluster.") % names)
    return _done(request, found, _("%(group)s has left the %(issue)s cluster.") % names)


@require_POST
@login_required
def lead_volunteer(request: HttpRequest, slug: str, issue: str) -> HttpResponse:
    found = _cluster(request, slug, issue)
    form = VolunteerForm(request.POST, own=_member_groups(request, found))
    if not form.is_valid():
        return _refused(request, found, form, None)
    try:
        cluster_services.lead_volunteer(
            user=request.user,
            coalition=found.coalition,
            issue=found.issue,
            member=form.cleaned_data["group"],
            message=form.cleaned_data["message"],
        )
    except ValidationError as error:
        return _refused(request, found, form, error)
    return _done(request, found, _("Offered. The coalition's admins will answer."))


def _lead_step(request: HttpRequest, pk: int, form: Form, act: Any, done: str) -> HttpResponse:
    """One step on a lead offer, from a posted form: the offer passes its access function first,
    so an outsider who may not see it gets 404 before any form is read."""
    lead = clusters.get_lead_for_user(request.user, pk)
    found = clusters.Cluster(coalition=lead.coalition, issue=lead.issue)
    if not form.is_valid():
        return _refused(request, found, form, None)
    try:
        act(lead, form.cleaned_data)
    except ValidationError as error:
        return _refused(request, found, form, error)
    return _done(request, found, done)


@require_POST
@login_required
def lead_answer(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: ClusterLead, data: dict[str, Any]) -> ClusterLead:
        if data["decision"] == "confirm":
            step = cluster_services.lead_confirm
        else:
            step = cluster_services.lead_decline
        return step(user=request.user, lead=lead, message=data["message"])

    done = _("Answered. The group has been told.")
    return _lead_step(request, pk, LeadAnswerForm(request.POST), act, done)


@require_POST
@login_required
def lead_step_down(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: ClusterLead, data: dict[str, Any]) -> ClusterLead:
        return cluster_services.lead_step_down(
            user=request.user, lead=lead, message=data["message"]
        )

    done = _("Done. The coalition's admins have been told.")
    return _lead_step(request, pk, LeaveForm(request.POST), act, done)


@require_POST
@login_required
def lead_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    def act(lead: ClusterLead, data: dict[str, Any]) -> ClusterLead:
        return cluster_services.lead_withdraw(user=request.user, lead=lead, reason=data["reason"])

    done = _("Withdrawn. The group has been told why.")
    return _lead_step(request, pk, RemoveForm(request.POST), act, done)
