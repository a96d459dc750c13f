"""Question, voting, results and meeting pages of an assembly."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions.timezones import default_zone, zone_choices
from assemblies import ballotfiles, permissions, selectors, services
from assemblies.forms import (
    AgendaDecisionForm,
    AnswerForm,
    AttendForm,
    MeetingForm,
    MinutesForm,
    MirrorForm,
    OpenForm,
    QuestionForm,
    UploadForm,
    VoteForm,
)
from assemblies.models import AgendaItem, ProposalStatus, QuestionState
from assemblies.services._shared import user_key
from assemblies.services.questions import may_vote_in_own_name
from commonweal.forms import errors_into
from directory.models import Organization

# Who voted how is listed for the first ballots only; the file download holds them all.
OPEN_BALLOTS_SHOWN = 200


def _zones(assembly: Any) -> list[Any]:
    return zone_choices(assembly.organization.home_place)


def _zone_initial(assembly: Any) -> str:
    return default_zone(assembly.organization.home_place) or "UTC"


@require_http_methods(["GET", "POST"])
@login_required
def question_new(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug, write=True)
    proposal = None
    proposal_id = request.GET.get("proposal", "")
    if proposal_id.isdigit():
        proposal = get_object_or_404(assembly.proposals, pk=int(proposal_id))
    initial = {"title": proposal.title, "method": "consent"} if proposal else {}
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["threshold"] = data.get("threshold") or 0
        try:
            question = services.question_create(
                user=request.user, assembly=assembly, proposal=proposal, **data
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            return redirect("assemblies:question", question.pk)
    return render(
        request,
        "assemblies/question_new.html",
        {"form": form, "assembly": assembly, "proposal": proposal},
        status=400 if form.errors else 200,
    )


POSITION_LABELS = {
    "consent": _lazy("Consent"),
    "objection": _lazy("Objection"),
    "stand_aside": _lazy("Stand aside"),
    "block": _lazy("Block"),
    "yes": _lazy("Yes"),
    "no": _lazy("No"),
    "abstain": _lazy("Abstain"),
}


def ballot_summary(content: dict[str, Any], labels: dict[str, str]) -> str:
    """A ballot in words, with the options' names rather than their ids."""
    if "position" in content:
        return str(POSITION_LABELS.get(content["position"], content["position"]))
    if "ranking" in content:
        return " > ".join(
            ", ".join(labels.get(str(c), "?") for c in group) for group in content["ranking"]
        )
    if "choice" in content:
        return labels.get(str(content["choice"]), "?")
    if "scores" in content:
        return ", ".join(f"{labels.get(str(k), '?')}: {v}" for k, v in content["scores"].items())
    return ", ".join(labels.get(str(c), "?") for c in content.get("approvals", []))


def _question_context(request: HttpRequest, question: Any, vote_form: Any = None) -> dict[str, Any]:
    user = request.user
    assembly = question.assembly
    groups = permissions.groups_spoken_for(user, assembly)
    own = may_vote_in_own_name(user, assembly)
    visible = selectors.results_visible(user, question)
    result = question.result if question.state == QuestionState.CLOSED else None
    if result is None and visible and question.state == QuestionState.OPEN:
        from assemblies import counting

        result = counting.compute(question)
    can_vote = question.state == QuestionState.OPEN and (own or bool(groups))
    options = {str(o.pk): o for o in question.options.all()}
    labels = {pk: o.label for pk, o in options.items()}
    mine = (
        selectors.my_ballot(user, question, user_key(question.pk, user))
        if permissions.signed_in(user)
        else None
    )
    return {
        "assembly": assembly,
        "question": question,
        "options": options,
        "result": result if visible else None,
        "results_hidden": not visible,
        "can_vote": can_vote,
        "vote_form": vote_form
        or (VoteForm(question=question, groups=groups, own=own) if can_vote else None),
        "mine": mine,
        "is_admin": permissions.is_admin(user, assembly),
        "groups": groups,
        "concerns": question.concerns.select_related("author", "answered_by"),
        "may_answer": permissions.is_admin(user, assembly)
        or (
            question.proposal is not None
            and question.proposal.author_id == getattr(user, "pk", None)
        ),
        "answer_form": AnswerForm(),
        "open_form": OpenForm(
            zones=_zones(assembly), initial={"time_zone": _zone_initial(assembly)}
        ),
        "ballots": [
            (b, ballot_summary(b.content, labels))
            for b in selectors.open_ballots(user, question)[:OPEN_BALLOTS_SHOWN]
        ],
        "mirrors": question.mirrors.select_related("assembly__organization"),
        "upload_form": UploadForm(),
        "formats": ballotfiles.formats_for(question),
    }


@require_GET
def question(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk)
    return render(request, "assemblies/question.html", _question_context(request, question))


@require_POST
@login_required
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk)
    assembly = question.assembly
    groups = permissions.groups_spoken_for(request.user, assembly)
    own = may_vote_in_own_name(request.user, assembly)
    if not own and not groups:
        raise PermissionDenied(_("You are not a voting member of this assembly."))
    form = VoteForm(request.POST, question=question, groups=groups, own=own)
    if form.is_valid():
        cast_for = form.cleaned_data.get("cast_for") or ""
        organization = next((g for g in groups if str(g.pk) == cast_for), None)
        try:
            services.ballot_cast(
                user=request.user,
                question=question,
                content=form.content(),
                organization=organization,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(
                request, _("Your vote is counted. You can change it while the round is open.")
            )
            return redirect("assemblies:question", pk)
    context = _question_context(request, question, vote_form=form)
    return render(request, "assemblies/question.html", context, status=400)


@require_POST
@login_required
def question_open(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk, write=True)
    form = OpenForm(request.POST, zones=_zones(question.assembly))
    if not form.is_valid():
        messages.error(request, _("Give a closing time and its time zone."))
        return redirect("assemblies:question", pk)
    zone = ZoneInfo(form.cleaned_data["time_zone"])
    # The times are read on the chosen clock, whatever zone the server runs in.
    opens, closes = form.cleaned_data["opens_at"], form.cleaned_data["closes_at"]
    opens_at = opens.replace(tzinfo=zone) if opens is not None else None
    closes_at = closes.replace(tzinfo=zone) if closes is not None else None
    try:
        question = services.question_open(
            user=request.user, question=question, closes_at=closes_at, opens_at=opens_at
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if question.state == QuestionState.OPEN:
            messages.success(request, _("The round is open; the members are being told."))
        else:
            messages.success(request, _("The round will open at the time you set."))
    return redirect("assemblies:question", pk)


@require_POST
@login_required
def question_close(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk, write=True)
    try:
        services.question_close(user=request.user, question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("assemblies:question", pk)


@require_POST
@login_required
def concern_answer(request: HttpRequest, pk: int) -> HttpResponse:
    concern = selectors.get_concern_for_user(request.user, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        services.concern_answer(
            user=request.user, concern=concern, answer=form.cleaned_data["answer"]
        )
        messages.success(request, _("Your answer is sent to the person who raised it."))
    else:
        if not permissions.is_admin(request.user, concern.question.assembly):
            raise PermissionDenied
        messages.error(request, _("Write an answer."))
    url = reverse("assemblies:question", args=[concern.question_id])
    return redirect(f"{url}#concern-{concern.pk}")


@require_POST
@login_required
def mirror(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk)
    form = MirrorForm(request.POST)
    if not form.is_valid():
        raise Http404
    group = get_object_or_404(Organization, pk=form.cleaned_data["group"])
    try:
        child = services.question_mirror(user=request.user, question=question, organization=group)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assemblies:question", pk)
    messages.success(
        request, _("Your group now decides this in its own assembly; its result will be its vote.")
    )
    return redirect("assemblies:question", child.pk)


@require_GET
def ballots_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk)
    if not selectors.ballots_visible(request.user, question):
        raise PermissionDenied(_("The ballots are shown once the round closes."))
    if fmt not in ballotfiles.formats_for(question):
        raise Http404
    body, extension = ballotfiles.export(question, fmt)
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="question-{question.pk}.{extension}"'
    return response


@require_POST
@login_required
def ballots_upload(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.get_question_for_user(request.user, pk, write=True)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ballots = ballotfiles.read_upload(question, form.cleaned_data["file"])
            total = services.ballots_upload(user=request.user, question=question, ballots=ballots)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(n)d paper ballots added.") % {"n": total})
    else:
        messages.error(request, _("Choose a file."))
    return redirect("assemblies:question", pk)


@require_http_methods(["GET", "POST"])
@login_required
def meeting_new(request: HttpRequest, slug: str) -> HttpResponse:
    assembly = selectors.get_assembly_for_user(request.user, slug, write=True)
    form = MeetingForm(
        request.POST or None,
        zones=_zones(assembly),
        proposals=assembly.proposals.filter(status=ProposalStatus.AGENDA).order_by("-id"),
        initial={"time_zone": _zone_initial(assembly)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts: datetime = data["starts_at"]
        try:
            meeting = services.meeting_schedule(
                user=request.user,
                assembly=assembly,
                title=data["title"],
                starts_local=starts.replace(tzinfo=None),
                time_zone=data["time_zone"],
                place=assembly.organization.home_place,
                location=data["location"],
                link=data["link"],
                agenda=data["agenda"].splitlines(),
                proposals=list(data["proposals"]),
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            return redirect("assemblies:meeting", meeting.pk)
    return render(
        request,
        "assemblies/meeting_new.html",
        {"form": form, "assembly": assembly},
        status=400 if form.errors else 200,
    )


@require_GET
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    assembly = meeting.assembly
    is_admin = permissions.is_admin(request.user, assembly)
    return render(
        request,
        "assemblies/meeting.html",
        {
            "assembly": assembly,
            "meeting": meeting,
            "local_start": meeting.starts_at.astimezone(ZoneInfo(meeting.time_zone)),
            "agenda": meeting.agenda.select_related("proposal"),
            "attendance": meeting.attendance.select_related("user", "organization").order_by("id"),
            "is_admin": is_admin,
            "is_participant": permissions.is_participant(request.user, assembly),
            "attend_form": AttendForm(groups=permissions.groups_spoken_for(request.user, assembly)),
            "minutes_form": MinutesForm(initial={"minutes": meeting.minutes}),
        },
    )


@require_POST
@login_required
def meeting_attend(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    groups = permissions.groups_spoken_for(request.user, meeting.assembly)
    form = AttendForm(request.POST, groups=groups)
    if not form.is_valid():
        raise PermissionDenied
    chosen = form.cleaned_data["organization"]
    organization = next((g for g in groups if str(g.pk) == chosen), None)
    services.meeting_attend(user=request.user, meeting=meeting, organization=organization)
    messages.success(request, _("Your attendance is recorded."))
    return redirect("assemblies:meeting", pk)


@require_POST
@login_required
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    form = MinutesForm(request.POST)
    if form.is_valid():
        services.meeting_minutes_record(
            user=request.user, meeting=meeting, minutes=form.cleaned_data["minutes"]
        )
        messages.success(request, _("The minutes are saved."))
    return redirect("assemblies:meeting", pk)


@require_POST
@login_required
def meeting_decision(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    permissions.require_admin(request.user, meeting.assembly)
    form = AgendaDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what the room decided."))
        return redirect("assemblies:meeting", pk)
    data = form.cleaned_data
    item = get_object_or_404(AgendaItem, pk=data["item"], meeting=meeting)
    outcome = data["outcome"]
    services.agenda_decision_record(
        user=request.user,
        item=item,
        decision=data["decision"],
        votes_for=data["votes_for"],
        votes_against=data["votes_against"],
        votes_abstain=data["votes_abstain"],
        adopted=None if not outcome else outcome == "adopted",
    )
    messages.success(request, _("The decision is recorded."))
    return redirect("assemblies:meeting", pk)
