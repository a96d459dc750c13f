"""Delegates' pages: a group's delegates to each of its coalitions (appoint, elect, let them vote
for the group), a delegate's record (mandates, votes, reports, recall), and a delegate casting
the group's vote on a coalition's question."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assemblies import delegates, selectors
from assemblies.delegates_forms import (
    AppointForm,
    DelegationForm,
    ElectionForm,
    MandateForm,
    RecallForm,
    ReportForm,
)
from assemblies.forms import VoteForm
from assemblies.models import (
    Assembly,
    Delegate,
    DelegateStatus,
    Delegation,
    Election,
    Meeting,
    Proposal,
    ProposalStatus,
    Question,
    QuestionState,
)
from assemblies.services import delegates as services
from commonweal.forms import errors_into
from directory.models import Organization

SUBJECTS_SHOWN = 50


def _forms(group: Organization, data: Any = None) -> dict[str, Any]:
    coalitions = delegates.coalitions_of(group)
    people = delegates.group_people(group).order_by("display_name", "pk")
    return {
        "delegation_form": DelegationForm(data, coalitions=coalitions),
        "appoint_form": AppointForm(data, coalitions=coalitions, people=people),
        "election_form": ElectionForm(data, coalitions=coalitions, people=people),
    }


def _group_context(request: HttpRequest, group: Organization, **forms: Any) -> dict[str, Any]:
    rows = list(delegates.delegates_of(group))
    voting = set(
        Delegation.objects.filter(group=group, votes_by_delegates=True).values_list(
            "coalition_id", flat=True
        )
    )
    seats = []
    for coalition in delegates.coalitions_of(group):
        mine = [d for d in rows if d.coalition_id == coalition.pk]
        seats.append(
            {
                "coalition": coalition,
                "votes_by_delegates": coalition.pk in voting,
                "active": [d for d in mine if d.status == DelegateStatus.ACTIVE],
                "reserve": [d for d in mine if d.status == DelegateStatus.RESERVE],
                "past": [
                    d for d in mine if d.status in (DelegateStatus.RECALLED, DelegateStatus.ENDED)
                ],
                "elections": Election.objects.filter(group=group, coalition=coalition)
                .exclude(question__state=QuestionState.CLOSED)
                .select_related("question"),
            }
        )
    is_admin = delegates.is_group_admin(request.user, group)
    return {
        "group": group,
        "seats": seats,
        "is_admin": is_admin,
        **(_forms(group) if is_admin else {}),
        **forms,
    }


@require_GET
@login_required
def group_delegates(request: HttpRequest, slug: str) -> HttpResponse:
    group = delegates.get_group_for_user(request.user, slug)
    return render(request, "assemblies/delegates/group.html", _group_context(request, group))


def _admin_post(request: HttpRequest, slug: str) -> tuple[Organization, dict[str, Any]]:
    group = delegates.get_group_for_user(request.user, slug)
    delegates.require_group_admin(request.user, group)
    return group, _forms(group, request.POST)


def _group_page(request: HttpRequest, group: Organization, name: str, form: Any) -> HttpResponse:
    context = _group_context(request, group, **{name: form})
    return render(request, "assemblies/delegates/group.html", context, status=400)


@require_POST
@login_required
def delegation_settings(request: HttpRequest, slug: str) -> HttpResponse:
    group, forms = _admin_post(request, slug)
    form = forms["delegation_form"]
    if form.is_valid():
        services.delegation_update(user=request.user, group=group, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("assemblies:delegates", slug)
    return _group_page(request, group, "delegation_form", form)


@require_POST
@login_required
def appoint(request: HttpRequest, slug: str) -> HttpResponse:
    group, forms = _admin_post(request, slug)
    form = forms["appoint_form"]
    if form.is_valid():
        try:
            delegate = services.delegate_appoint(
                user=request.user,
                group=group,
                coalition=form.cleaned_data["coalition"],
                person=form.cleaned_data["person"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request, _("%(person)s is a delegate now.") % {"person": delegate.user}
            )
            return redirect("assemblies:delegate", delegate.pk)
    return _group_page(request, group, "appoint_form", form)


@require_POST
@login_required
def elect(request: HttpRequest, slug: str) -> HttpResponse:
    group, forms = _admin_post(request, slug)
    form = forms["election_form"]
    if form.is_valid():
        data = form.cleaned_data
        try:
            election = services.delegate_election_start(
                user=request.user,
                group=group,
                coalition=data["coalition"],
                seats=data["seats"],
                candidates=list(data["candidates"]),
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request, _("The election is open in your assembly; the members are being told.")
            )
            return redirect("assemblies:question", election.question_id)
    return _group_page(request, group, "election_form", form)


def _subjects(delegate: Delegate, *, meetings: bool) -> list[tuple[str, str]]:
    """The coalition's items a mandate or a report may be about, newest first."""
    assembly = Assembly.objects.filter(organization=delegate.coalition).first()
    if assembly is None:
        return []
    choices = [
        (f"q{q.pk}", str(q.title))
        for q in assembly.questions.filter(parent__isnull=True).order_by("-id")[:SUBJECTS_SHOWN]
    ]
    if meetings:
        choices += [(f"m{m.pk}", m.title) for m in assembly.meetings.all()[:SUBJECTS_SHOWN]]
    else:
        choices += [
            (f"p{p.pk}", p.title)
            for p in assembly.proposals.filter(
                status__in=[ProposalStatus.AGENDA, ProposalStatus.VOTING]
            ).order_by("-id")[:SUBJECTS_SHOWN]
        ]
    return choices


def _subject(delegate: Delegate, value: str) -> dict[str, Any]:
    """The chosen item, looked up within the coalition's assembly only."""
    if not value:
        return {}
    kind, pk = value[0], int(value[1:])
    coalition = delegate.coalition_id
    if kind == "q":
        return {"question": get_object_or_404(Question, pk=pk, assembly__organization=coalition)}
    if kind == "p":
        return {"proposal": get_object_or_404(Proposal, pk=pk, assembly__organization=coalition)}
    return {"meeting": get_object_or_404(Meeting, pk=pk, assembly__organization=coalition)}


def _record_context(request: HttpRequest, delegate: Delegate, **forms: Any) -> dict[str, Any]:
    from assemblies.views_questions import ballot_summary

    user = request.user
    is_admin = delegates.is_group_admin(user, delegate.group)
    is_self = delegate.user_id == getattr(user, "pk", None)
    mandates = list(
        delegate.mandates.select_related("question", "proposal", "decision").order_by("-id")
    )
    votes = []
    for vote in delegate.votes.select_related("question", "carried_from__user"):
        labels = {str(o.pk): o.label for o in vote.question.options.all()}
        beside = [
            m
            for m in mandates
            if m.state == "given"
            and (
                m.question_id == vote.question_id
                or (m.proposal_id and m.proposal_id == vote.question.proposal_id)
            )
        ]
        votes.append(
            {"vote": vote, "summary": ballot_summary(vote.content, labels), "mandates": beside}
        )
    serving = delegate.status == DelegateStatus.ACTIVE
    return {
        "delegate": delegate,
        "group": delegate.group,
        "mandates": mandates,
        "votes": votes,
        "reports": delegate.reports.select_related("question", "meeting"),
        "successors": delegate.successors.select_related("user"),
        "is_admin": is_admin,
        "is_self": is_self,
        "mandate_form": forms.get("mandate_form")
        or (
            MandateForm(subjects=_subjects(delegate, meetings=False))
            if is_admin and serving
            else None
        ),
        "recall_form": forms.get("recall_form") or (RecallForm() if is_admin and serving else None),
        "report_form": forms.get("report_form")
        or (ReportForm(subjects=_subjects(delegate, meetings=True)) if is_self else None),
    }


@require_GET
@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    delegate = delegates.get_delegate_for_user(request.user, pk)
    return render(request, "assemblies/delegates/record.html", _record_context(request, delegate))


def _record_page(request: HttpRequest, delegate: Delegate, name: str, form: Any) -> HttpResponse:
    context = _record_context(request, delegate, **{name: form})
    return render(request, "assemblies/delegates/record.html", context, status=400)


@require_POST
@login_required
def mandate(request: HttpRequest, pk: int) -> HttpResponse:
    delegate = delegates.get_delegate_for_user(request.user, pk, write=True)
    form = MandateForm(request.POST, subjects=_subjects(delegate, meetings=False))
    if form.is_valid():
        data = form.cleaned_data
        try:
            given = services.mandate_give(
                user=request.user,
                delegate=delegate,
                instruction=data["instruction"],
                by_vote=data["by_vote"],
                **_subject(delegate, data["subject"]),
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            if given.decision_id:
                messages.success(request, _("The mandate is put to your assembly's vote."))
                return redirect("assemblies:question", given.decision_id)
            messages.success(request, _("The mandate is given; the delegate is told."))
            return redirect("assemblies:delegate", pk)
    return _record_page(request, delegate, "mandate_form", form)


@require_POST
@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    delegate = delegates.get_delegate_for_user(request.user, pk)
    if delegate.user_id != request.user.pk:
        raise PermissionDenied(_("Only the delegate writes their report."))
    form = ReportForm(request.POST, subjects=_subjects(delegate, meetings=True))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_write(
                user=request.user,
                delegate=delegate,
                text_=data["text"],
                **_subject(delegate, data["subject"]),
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, _("Your report is sent to the group."))
            return redirect("assemblies:delegate", pk)
    return _record_page(request, delegate, "report_form", form)


@require_POST
@login_required
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    delegate = delegates.get_delegate_for_user(request.user, pk, write=True)
    form = RecallForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["how"] == "vote":
                question = services.delegate_recall_vote(
                    user=request.user, delegate=delegate, reason=data["reason"]
                )
            else:
                services.delegate_recall_record(
                    user=request.user, delegate=delegate, reason=data["reason"]
                )
        except ValidationError as error:
            errors_into(form, error)
        else:
            if data["how"] == "vote":
                messages.success(request, _("The recall is put to your assembly's vote."))
                return redirect("assemblies:question", question.pk)
            messages.success(request, _("The recall is recorded; the group is told."))
            return redirect("assemblies:delegate", pk)
    return _record_page(request, delegate, "recall_form", form)


def _seat_form(question: Question, group_id: int, data: Any = None) -> VoteForm:
    """The vote form for one group's seat: the group is given, so no "vote for" choice."""
    form = VoteForm(data, question=question, groups=[], own=False, prefix=f"d{group_id}")
    del form.fields["cast_for"]
    return form


def seats_context(user: Any, question: Question) -> list[dict[str, Any]]:
    """For a coalition's question page: each group this person votes for as its delegate, with
    the mandates they carry on it and the group's standing vote, beside the voting form."""
    from assemblies.views_questions import ballot_summary

    labels = {str(o.pk): o.label for o in question.options.all()}
    cards = []
    for seat in delegates.seats_on(user, question):
        standing = delegates.standing_vote(seat, question)
        cards.append(
            {
                "seat": seat,
                "mandates": list(delegates.mandates_on(seat, question)),
                "standing": standing,
                "standing_summary": ballot_summary(standing.content, labels) if standing else "",
                "form": _seat_form(question, seat.group_id)
                if question.state == QuestionState.OPEN
                else None,
            }
        )
    return cards


@require_POST
@login_required
def delegate_vote(request: HttpRequest, pk: int, group: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk)
    organization = get_object_or_404(Organization, pk=group)
    if delegates.active_seat(request.user, organization, question.assembly.organization) is None:
        raise PermissionDenied(
            _("Only a delegate of %(group)s casts its vote here.") % {"group": organization}
        )
    form = _seat_form(question, group, request.POST)
    if form.is_valid():
        try:
            services.delegate_ballot_cast(
                user=request.user,
                question=question,
                group=organization,
                content=form.content(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The vote of %(group)s is counted. You can change it while the round is open.")
                % {"group": organization},
            )
    else:
        messages.error(request, _("Choose the group's vote."))
    return redirect(reverse("assemblies:question", args=[pk]) + f"#seat-{group}")


def delegation_summary(user: Any, group: Organization) -> list[Delegate] | None:
    """The group's serving delegates for its assembly page, or None for readers who may not
    see its delegates' record."""
    if not delegates.may_see_record(user, group):
        return None
    return list(
        delegates.delegates_of(group)
        .filter(status=DelegateStatus.ACTIVE)
        .order_by("coalition", "position")
    )
