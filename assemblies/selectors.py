"""Reads for the assembly pages, each limited to what the reader may see, and each a fixed
number of queries however many proposals or arguments there are (keyset paging, counters kept
on the rows, the strongest arguments read from one index)."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from assemblies import permissions
from assemblies.models import (
    Amendment,
    Argument,
    Assembly,
    Ballot,
    Concern,
    Meeting,
    Proposal,
    ProposalStatus,
    Question,
    QuestionState,
    Stance,
)

PROPOSALS_PER_PAGE = 30
ARGUMENTS_PER_PAGE = 50
STRONGEST = 3


def get_assembly_for_user(user: Any, slug: str, *, write: bool = False) -> Assembly:
    assembly = get_object_or_404(
        Assembly.objects.select_related("organization"), organization__slug=slug
    )
    permissions.check_visible(user, assembly)
    if write:
        permissions.require_admin(user, assembly)
    return assembly


def get_proposal_for_user(user: Any, pk: int) -> Proposal:
    proposal = get_object_or_404(
        Proposal.objects.select_related("assembly__organization", "author"), pk=pk
    )
    permissions.check_visible(user, proposal.assembly)
    return proposal


def get_question_for_user(user: Any, pk: int, *, write: bool = False) -> Question:
    question = get_object_or_404(
        Question.objects.select_related("assembly__organization", "proposal", "amendment"), pk=pk
    )
    permissions.check_visible(user, question.assembly)
    if write:
        permissions.require_admin(user, question.assembly)
    return question


def get_meeting_for_user(user: Any, pk: int) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("assembly__organization", "place"), pk=pk
    )
    permissions.check_visible(user, meeting.assembly)
    return meeting


def get_amendment_for_user(user: Any, pk: int) -> Amendment:
    amendment = get_object_or_404(
        Amendment.objects.select_related("proposal__assembly__organization"), pk=pk
    )
    permissions.check_visible(user, amendment.proposal.assembly)
    return amendment


def get_argument_for_user(user: Any, pk: int) -> Argument:
    argument = get_object_or_404(
        Argument.objects.select_related("proposal__assembly__organization"), pk=pk
    )
    permissions.check_visible(user, argument.proposal.assembly)
    return argument


def get_concern_for_user(user: Any, pk: int) -> Concern:
    concern = get_object_or_404(
        Concern.objects.select_related("question__assembly__organization", "author"), pk=pk
    )
    permissions.check_visible(user, concern.question.assembly)
    return concern


ASSEMBLIES_PER_PAGE = 50


def assemblies_page(user: Any, *, after: int | None = None) -> "Keyset":
    """Every assembly of a public organization, newest first, a page at a time."""
    rows = (
        Assembly.objects.filter(organization__is_hidden=False)
        .select_related("organization")
        .order_by("-id")
    )
    return _keyset(rows, after, ASSEMBLIES_PER_PAGE)


@dataclass
class Keyset:
    rows: list[Any]
    next_after: int | None


def _keyset(rows: QuerySet[Any], after: int | None, per_page: int) -> Keyset:
    if after:
        rows = rows.filter(id__lt=after)
    page = list(rows[: per_page + 1])
    more = len(page) > per_page
    page = page[:per_page]
    return Keyset(page, page[-1].id if more and page else None)


def proposals_page(assembly: Assembly, *, status: str = "", after: int | None = None) -> Keyset:
    """Newest first, a page at a time by id: the 10,000th page costs what the first does."""
    rows = Proposal.objects.filter(assembly=assembly)
    if status in ProposalStatus.values:
        rows = rows.filter(status=status)
    rows = rows.only(
        "id",
        "title",
        "status",
        "support_count",
        "argument_count",
        "amendment_count",
        "created_at",
        "assembly_id",
    ).order_by("-id")
    return _keyset(rows, after, PROPOSALS_PER_PAGE)


def strongest_arguments(proposal: Proposal) -> dict[str, list[Argument]]:
    """The most endorsed arguments of each side, one indexed query per side."""
    return {
        stance: list(
            Argument.objects.filter(proposal=proposal, stance=stance)
            .select_related("author")
            .order_by("-endorsement_count", "id")[:STRONGEST]
        )
        for stance in (Stance.FOR, Stance.AGAINST, Stance.QUESTION)
    }


def argument_thread(proposal: Proposal, *, after: int | None = None) -> Keyset:
    """Top-level arguments oldest first, a page at a time, with their replies in one query."""
    rows = (
        Argument.objects.filter(proposal=proposal, parent__isnull=True)
        .select_related("author")
        .order_by("id")
    )
    if after:
        rows = rows.filter(id__gt=after)
    page = list(rows[: ARGUMENTS_PER_PAGE + 1])
    more = len(page) > ARGUMENTS_PER_PAGE
    page = page[:ARGUMENTS_PER_PAGE]
    replies: dict[int, list[Argument]] = {}
    for reply in (
        Argument.objects.filter(parent_id__in=[a.id for a in page])
        .select_related("author")
        .order_by("id")
    ):
        replies.setdefault(reply.parent_id or 0, []).append(reply)
    for argument in page:
        argument.thread_replies = replies.get(argument.id, [])  # type: ignore[attr-defined]
    return Keyset(page, page[-1].id if more and page else None)


def results_visible(user: Any, question: Question) -> bool:
    """A round that asked for it keeps its results hidden until it closes, even from admins,
    so nobody votes tactically on early numbers."""
    if question.state == QuestionState.CLOSED:
        return True
    return not question.hide_results


def ballots_visible(user: Any, question: Question) -> bool:
    """Who may download the anonymised ballots: anyone who may see the results, once there
    are results to check."""
    return results_visible(user, question)


def open_ballots(user: Any, question: Question) -> QuerySet[Ballot]:
    """Who voted how on an open ballot, for the assembly's members only; nothing on a secret
    one."""
    if question.secret or not permissions.is_participant(user, question.assembly):
        return Ballot.objects.none()
    if not results_visible(user, question):
        return Ballot.objects.none()
    return (
        Ballot.objects.filter(question=question)
        .select_related("voter", "organization")
        .order_by("id")
    )


def my_ballot(user: Any, question: Question, voter_key: str) -> Ballot | None:
    if not permissions.signed_in(user):
        return None
    return Ballot.objects.filter(question=question, voter_key=voter_key).first()


def require_participant(user: Any, question: Question) -> None:
    if not permissions.is_participant(user, question.assembly):
        raise PermissionDenied


__all__ = ["Http404"]
