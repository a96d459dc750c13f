"""Conversation pages: the list, voting one statement at a time, results, moderation, Pol.is
import and export. Votes and statements post as plain forms and, with HTMX, swap in place."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from actions.selectors import calls_for_user
from commonground import permissions, selectors, services
from commonground.forms import (
    EXPORTS,
    CloseForm,
    ConversationForm,
    ImportForm,
    ModerateForm,
    StatementForm,
    VoteForm,
)
from commonground.models import Conversation
from commonweal.forms import errors_into
from directory import permissions as directory_permissions
from directory.models import Organization

PER_PAGE = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    conversations = selectors.conversations_for_user(request.user).order_by(
        "is_closed", "-created_at", "-id"
    )
    page = Paginator(conversations, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "commonground/list.html", {"page": page})


def _attachable(user: Any) -> tuple[list[Organization], list[Any]]:
    own = directory_permissions.administered_organization_ids(user)
    organizations = list(Organization.objects.filter(pk__in=own).order_by("-kind", "name"))
    calls = list(calls_for_user(user).filter(coalition_id__in=own).order_by("-created_at")[:50])
    return organizations, calls


@login_required
@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest) -> HttpResponse:
    organizations, calls = _attachable(request.user)
    initial = {}
    if request.GET.get("organization"):
        initial["attach_to"] = f"o{request.GET['organization'][:20]}"
    elif request.GET.get("call"):
        initial["attach_to"] = f"c{request.GET['call'][:20]}"
    form = ConversationForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organizations=organizations,
        calls=calls,
    )
    if request.method == "POST" and form.is_valid():
        organization, call = form.attachment()
        data = form.cleaned_data
        try:
            conversation = services.conversation_create(
                user=request.user,
                title=data["title"],
                description=data["description"],
                organization=organization,
                call=call,
                access=data["access"],
                is_private=data["is_private"],
                moderation=data["moderation"],
                seed_statements=form.seeds(),
            )
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, "Your conversation is open.")
            return redirect(conversation)
    status = 400 if form.errors else 200
    return render(request, "commonground/new.html", {"form": form}, status=status)


def _page_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    user = request.user
    analysis = selectors.latest_analysis(conversation)
    counts = selectors.statement_counts(conversation)
    return {
        "conversation": conversation,
        "home": permissions.home_of(conversation),
        "can_take_part": permissions.can_take_part(user, conversation),
        "can_moderate": permissions.can_moderate(user, conversation),
        "statement": selectors.next_statement(user, conversation),
        "progress": selectors.progress(user, conversation),
        "my_votes": selectors.votes_of_user(user, conversation),
        "my_pending": selectors.own_pending(user, conversation),
        "pending_count": counts.get("pending", 0),
        "analysis": analysis,
    }


@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    context = _page_context(request, conversation)
    context["statement_form"] = StatementForm()
    return render(request, "commonground/conversation.html", context)


@require_POST
def vote(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    if not permissions.can_take_part(request.user, conversation):
        raise PermissionDenied("You cannot vote in this conversation.")
    form = VoteForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            "Choose agree, disagree or pass on a statement.", status=400, content_type="text/plain"
        )
    statement = selectors.get_statement_for_user(
        request.user, conversation, form.cleaned_data["statement"]
    )
    try:
        services.vote_cast(user=request.user, statement=statement, value=form.cleaned_data["value"])
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    if not request.htmx:
        messages.success(request, "Your vote is in.")
        return redirect(conversation)
    context = _page_context(request, conversation)
    context["oob"] = True
    return render(request, "commonground/_vote.html", context)


@require_POST
def statement_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    if not (
        permissions.can_take_part(request.user, conversation)
        or permissions.can_moderate(request.user, conversation)
    ):
        raise PermissionDenied("You cannot add statements to this conversation.")
    form = StatementForm(request.POST)
    statement = None
    if form.is_valid():
        try:
            statement = services.statement_submit(
                user=request.user, conversation=conversation, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            errors_into(form, exc)
    if statement is not None and not request.htmx:
        messages.success(
            request,
            "Your statement is in."
            if statement.state == "accepted"
            else "Thank you. Your statement will appear once a moderator has read it.",
        )
        return redirect(conversation)
    context = {"conversation": conversation, "statement_form": form, "submitted": statement}
    if statement is not None:
        context["statement_form"] = StatementForm()
    template = (
        "commonground/_statement_form.html" if request.htmx else "commonground/statement.html"
    )
    return render(request, template, context, status=400 if form.errors else 200)


def _status_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    analysis = selectors.latest_analysis(conversation)
    since = (
        conversation.vote_events - analysis.vote_events if analysis else conversation.vote_events
    )
    return {
        "conversation": conversation,
        "analysis": analysis,
        "since": since,
        "shown": request.GET.get("shown", ""),
    }


@require_GET
def results(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    context = _status_context(request, conversation)
    analysis = context["analysis"]
    context["results"] = (
        selectors.results(request.user, conversation, analysis) if analysis else None
    )
    context["can_moderate"] = permissions.can_moderate(request.user, conversation)
    return render(request, "commonground/results.html", context)


@require_GET
def results_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk)
    return render(request, "commonground/_status.html", _status_context(request, conversation))


@login_required
@require_http_methods(["GET", "POST"])
def moderate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk, write=True)
    if request.method == "POST":
        form = ModerateForm(request.POST)
        if not form.is_valid():
            return HttpResponse(
                "Choose a statement and accept or reject it.", status=400, content_type="text/plain"
            )
        statement = selectors.get_statement_for_user(
            request.user, conversation, form.cleaned_data["statement"], write=True
        )
        services.statement_moderate(
            user=request.user, statement=statement, state=form.cleaned_data["state"]
        )
        if request.htmx:
            return render(request, "commonground/_moderated.html", {"statement": statement})
        return redirect("commonground:moderate", pk=conversation.pk)
    context = {
        "conversation": conversation,
        "queue": list(selectors.moderation_queue(request.user, conversation)),
        "recent": selectors.recently_moderated(request.user, conversation),
    }
    return render(request, "commonground/moderate.html", context)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk, write=True)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            "Say whether to close or reopen.", status=400, content_type="text/plain"
        )
    closed = form.cleaned_data["closed"]
    services.conversation_close(user=request.user, conversation=conversation, closed=closed)
    messages.success(request, "Voting is closed." if closed else "Voting is open again.")
    return redirect(conversation)


@login_required
@require_POST
def recompute(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk, write=True)
    services.analysis_request(user=request.user, conversation=conversation)
    messages.success(request, "The map will be redrawn in a moment.")
    return redirect("commonground:results", pk=conversation.pk)


@login_required
@require_http_methods(["GET", "POST"])
def polis_import(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk, write=True)
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.polis_import(
                user=request.user,
                conversation=conversation,
                votes_file=form.cleaned_data["votes"],
                comments_file=form.cleaned_data.get("comments"),
            )
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(
                request,
                f"Imported {report.votes:,} votes from {report.participants_created:,} new "
                f"participants on {report.statements_created:,} new statements. "
                "The map is being drawn.",
            )
            return redirect("commonground:results", pk=conversation.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "commonground/import.html",
        {"conversation": conversation, "form": form, "exports": EXPORTS},
        status=status,
    )


@login_required
@require_GET
def polis_export(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    conversation = selectors.get_conversation_for_user(request.user, pk, write=True)
    if which not in EXPORTS:
        raise Http404("No such export.")
    writers = {
        "votes": selectors.export_votes,
        "comments": selectors.export_comments,
        "participants-votes": selectors.export_participants_votes,
    }
    body = writers[which](request.user, conversation)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="conversation-{conversation.pk}-{EXPORTS[which]}"'
    )
    return response
