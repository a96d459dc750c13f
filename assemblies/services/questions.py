"""Questions put to a vote: opening and closing rounds, ballots of people and member groups,
blocks and their answers, a group deciding a coalition's question in its own assembly, and
paper ballots."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import counting, delegates, motions, notify, permissions
from assemblies.models import (
    APPROVALS,
    RANKED,
    Amendment,
    AmendmentStatus,
    Assembly,
    AssemblyPerson,
    Ballot,
    BallotSource,
    Concern,
    ConcernKind,
    Method,
    Option,
    PeopleMode,
    Proposal,
    ProposalStatus,
    Question,
    QuestionState,
)
from assemblies.services._shared import group_key, text, user_key
from assemblies.services.proposals import amendment_apply
from assemblies.signals import proposal_decided
from directory.models import Organization, OrganizationAdmin

MAX_OPTIONS = 200
# Positions a block or an objection must give a reason for.
NEEDS_REASON = {"block", "objection"}


def _url(question: Question) -> str:
    return reverse("assemblies:question", args=[question.pk])


@transaction.atomic
def question_create(
    *,
    user: Any,
    assembly: Assembly,
    title: str,
    method: str,
    options: list[tuple[str, Decimal | None]] | None = None,
    seats: int = 1,
    threshold: Decimal = Decimal(0),
    budget: Decimal | None = None,
    max_score: int = 5,
    quorum: int = 0,
    group_quorum: int = 0,
    double_majority: bool = False,
    weigh_groups_by_size: bool = False,
    secret: bool = False,
    hide_results: bool = True,
    proposal: Proposal | None = None,
    amendment: Amendment | None = None,
    parent: Question | None = None,
) -> Question:
    permissions.require_admin(user, assembly)
    if method not in Method.values:
        raise ValidationError({"method": _("Choose a decision method.")})
    if proposal is not None and proposal.assembly_id != assembly.pk:
        raise PermissionDenied(_("That proposal belongs to another assembly."))
    options = [(label.strip()[:200], cost) for label, cost in (options or []) if label.strip()]
    if method not in (Method.CONSENT, Method.MAJORITY, Method.QUALIFIED):
        if len(options) < 2:
            raise ValidationError({"options": _("Give at least two options, one a line.")})
        if len(options) > MAX_OPTIONS:
            raise ValidationError({"options": _("At most %(n)d options.") % {"n": MAX_OPTIONS}})
    if (
        method in (Method.GREEDY, Method.EQUAL_SHARES)
        and budget is not None
        and any(cost is None for _label, cost in options)
    ):
        raise ValidationError({"options": _("Give each project its cost: “Name; 1200”.")})
    if method in (Method.GREEDY,) and budget is None:
        raise ValidationError({"budget": _("A participatory budget needs the amount to share.")})
    if method == Method.QUALIFIED and not (Decimal("0.5") < threshold <= 1):
        raise ValidationError(
            {"threshold": _("A qualified majority is more than half, e.g. 0.6667.")}
        )
    if double_majority and method not in (Method.MAJORITY, Method.QUALIFIED):
        raise ValidationError(
            {"double_majority": _("A double majority applies to majority votes.")}
        )
    question = Question.objects.create(
        assembly=assembly,
        proposal=proposal,
        amendment=amendment,
        parent=parent,
        title=text(title, limit=300, field="title"),
        method=method,
        seats=max(1, int(seats)),
        threshold=threshold,
        budget=budget,
        max_score=max(1, int(max_score)),
        quorum=max(0, int(quorum)),
        group_quorum=max(0, int(group_quorum)),
        double_majority=double_majority,
        weigh_groups_by_size=weigh_groups_by_size,
        # A block must be answered, so consent is always an open ballot.
        secret=secret and method != Method.CONSENT,
        hide_results=hide_results,
        created_by=user,
    )
    Option.objects.bulk_create(
        Option(question=question, label=label, cost=cost, position=i)
        for i, (label, cost) in enumerate(options)
    )
    audit_record(actor=user, action="question.create", target=question, data={"method": method})
    return question


@transaction.atomic
def amendment_to_vote(*, user: Any, amendment: Amendment) -> Question:
    """Put a contested amendment to a simple majority of the assembly."""
    proposal = amendment.proposal
    if amendment.status != AmendmentStatus.PROPOSED:
        raise ValidationError(_("This amendment was already decided."))
    question = question_create(
        user=user,
        assembly=proposal.assembly,
        title=_("Amend “%(title)s”?") % {"title": proposal.title},
        method=Method.MAJORITY,
        proposal=proposal,
        amendment=amendment,
        hide_results=False,
    )
    Amendment.objects.filter(pk=amendment.pk).update(status=AmendmentStatus.VOTING, decided_by=user)
    return question


def _start(question: Question, actor: Any, closes_at: datetime | None) -> bool:
    """Open a round (once, however many callers race) and tell every member."""
    opened = Question.objects.filter(pk=question.pk, state=QuestionState.DRAFT).update(
        state=QuestionState.OPEN, opens_at=timezone.now(), closes_at=closes_at
    )
    if not opened:
        return False
    question.refresh_from_db()
    if question.proposal_id and not question.amendment_id:
        Proposal.objects.filter(pk=question.proposal_id).update(status=ProposalStatus.VOTING)
    audit_record(actor=actor, action="question.open", target=question)
    notify.members_tell(
        assembly=question.assembly,
        subject=_("Voting is open: %(title)s") % {"title": question.title},
        text=_("A round opened in the assembly of %(name)s. Your vote counts.")
        % {"name": question.assembly},
        url=_url(question),
    )
    return True


@transaction.atomic
def question_open(
    *,
    user: Any,
    question: Question,
    closes_at: datetime | None = None,
    opens_at: datetime | None = None,
) -> Question:
    """An admin opens the round now, or from `opens_at` (the worker's tick opens it then),
    until `closes_at`; every member is told when it opens."""
    permissions.require_admin(user, question.assembly)
    now = timezone.now()
    if closes_at is not None and closes_at <= max(now, opens_at or now):
        raise ValidationError({"closes_at": _("The round must close after it opens.")})
    if opens_at is not None and opens_at > now:
        scheduled = Question.objects.filter(pk=question.pk, state=QuestionState.DRAFT).update(
            opens_at=opens_at, closes_at=closes_at
        )
        if not scheduled:
            raise ValidationError(_("This round was already opened."))
        question.refresh_from_db()
        audit_record(actor=user, action="question.schedule", target=question)
        return question
    if not _start(question, user, closes_at):
        raise ValidationError(_("This round was already opened."))
    return question


def _check_content(question: Question, content: dict[str, Any]) -> dict[str, Any]:
    """The ballot as stored, or ValidationError saying what is wrong with it."""
    option_ids = {str(pk) for pk in question.options.values_list("pk", flat=True)}
    method = question.method
    if method == Method.CONSENT:
        position = content.get("position")
        if position not in motions.POSITIONS_CONSENT:
            raise ValidationError({"position": _("Choose your position.")})
        return {"position": position}
    if method in (Method.MAJORITY, Method.QUALIFIED):
        position = content.get("position")
        if position not in motions.POSITIONS_MAJORITY:
            raise ValidationError({"position": _("Choose yes, no or abstain.")})
        return {"position": position}
    if method in RANKED:
        ranking = [[str(c) for c in group] for group in content.get("ranking", []) if group]
        flat = [c for group in ranking for c in group]
        if not flat or len(flat) != len(set(flat)) or not set(flat) <= option_ids:
            raise ValidationError({"ranking": _("Rank the options, each at most once.")})
        return {"ranking": ranking}
    if method == Method.PLURALITY:
        choice = str(content.get("choice", ""))
        if choice not in option_ids:
            raise ValidationError({"choice": _("Choose one option.")})
        return {"choice": choice}
    if method == Method.SCORE:
        scores = {str(k): int(v) for k, v in content.get("scores", {}).items() if int(v)}
        if not set(scores) <= option_ids or any(
            not 0 <= v <= question.max_score for v in scores.values()
        ):
            raise ValidationError(
                {"scores": _("Give each option 0 to %(n)d.") % {"n": question.max_score}}
            )
        return {"scores": scores}
    if method in APPROVALS:
        approvals = sorted({str(c) for c in content.get("approvals", [])})
        if not set(approvals) <= option_ids:
            raise ValidationError({"approvals": _("Choose among the options.")})
        return {"approvals": approvals}
    raise ValidationError(_("This method takes no ballots."))


def group_weight(question: Question, organization: Organization) -> int:
    """A group's weight: 1, or its size in the assembly (its admins and its people)."""
    if not question.weigh_groups_by_size:
        return 1
    people = AssemblyPerson.objects.filter(assembly=question.assembly, group=organization).count()
    admins = OrganizationAdmin.objects.filter(organization=organization).count()
    return max(1, people + admins)


def may_vote_in_own_name(user: Any, assembly: Assembly) -> bool:
    if permissions.is_person(user, assembly) or permissions.is_admin(user, assembly):
        return True
    return assembly.people != PeopleMode.GROUPS and bool(
        permissions.groups_spoken_for(user, assembly)
    )


def _store(
    question: Question,
    *,
    key: str,
    content: dict[str, Any],
    source: str,
    voter: Any,
    organization: Organization | None,
    weight: int,
) -> Ballot:
    existing = Ballot.objects.select_for_update().filter(question=question, voter_key=key).first()
    if existing is None:
        ballot = Ballot.objects.create(
            question=question,
            voter_key=key,
            voter=None if question.secret else voter,
            organization=None if question.secret else organization,
            source=source,
            content=content,
            weight=weight,
        )
        Question.objects.filter(pk=question.pk).update(ballot_count=F("ballot_count") + 1)
        return ballot
    existing.content, existing.weight = content, weight
    existing.save(update_fields=["content", "weight", "cast_at"])
    return existing


def _record_concern(question: Question, user: Any, position: str, reason: str) -> None:
    """Keep the person's block or objection as a concern to answer; changing their position
    withdraws what they raised before."""
    Concern.objects.filter(question=question, author=user, withdrawn=False).exclude(
        kind=position
    ).update(withdrawn=True)
    if position not in NEEDS_REASON:
        return
    if Concern.objects.filter(
        question=question, author=user, kind=position, withdrawn=False
    ).exists():
        return
    concern = Concern.objects.create(question=question, author=user, kind=position, text=reason)
    if position == ConcernKind.BLOCK:
        proposal = question.proposal
        admins = question.assembly.organization.admins.select_related("user")
        notify.people_tell(
            users=[proposal.author if proposal else None, *[a.user for a in admins]],
            text=_("A block on “%(title)s” needs an answer before it can pass.")
            % {"title": question.title},
            url=_url(question) + f"#concern-{concern.pk}",
            exclude=user,
        )


@transaction.atomic
def ballot_cast(
    *,
    user: Any,
    question: Question,
    content: dict[str, Any],
    organization: Organization | None = None,
    reason: str = "",
) -> Ballot:
    """Vote in one's own name, or cast a member group's vote as one of its admins. Voting
    again replaces the earlier ballot while the round is open."""
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("assembly__organization", "proposal")
        .get(pk=question.pk)
    )
    assembly = question.assembly
    if organization is None:
        if not may_vote_in_own_name(user, assembly):
            raise PermissionDenied(_("You are not a voting member of this assembly."))
    elif organization not in permissions.groups_spoken_for(user, assembly):
        raise PermissionDenied(_("Only an admin of a member group casts its vote."))
    else:
        delegates.require_not_delegated(user, organization, assembly.organization)
    if question.state != QuestionState.OPEN or (
        question.closes_at is not None and question.closes_at <= timezone.now()
    ):
        raise ValidationError(_("This round is not open for votes."))
    if (
        organization is not None
        and question.mirrors.filter(
            assembly__organization=organization, state=QuestionState.OPEN
        ).exists()
    ):
        raise ValidationError(
            _("%(group)s is deciding this in its own assembly; its result will be its vote.")
            % {"group": organization}
        )
    content = _check_content(question, content)
    position = str(content.get("position", ""))
    reason = text(reason, limit=5000, field="reason", required=position in NEEDS_REASON)
    if organization is None:
        ballot = _store(
            question,
            key=user_key(question.pk, user),
            content=content,
            source=BallotSource.ONLINE,
            voter=user,
            organization=None,
            weight=1,
        )
    else:
        ballot = _store(
            question,
            key=group_key(question.pk, organization),
            content=content,
            source=BallotSource.GROUP,
            voter=user,
            organization=organization,
            weight=group_weight(question, organization),
        )
    if question.method == Method.CONSENT:
        _record_concern(question, user, position, reason)
    # A secret ballot's audit entry says that someone voted, never how.
    audit_record(
        actor=user,
        action="ballot.cast",
        target=question,
        data={"group": organization.pk if organization else None},
    )
    return ballot


@transaction.atomic
def concern_answer(*, user: Any, concern: Concern, answer: str) -> Concern:
    """The proposal's author or an admin answers a block or an objection; its author is told."""
    question = concern.question
    proposal = question.proposal
    if not (
        permissions.is_admin(user, question.assembly)
        or (proposal is not None and proposal.author_id == getattr(user, "pk", None))
    ):
        raise PermissionDenied(_("Only the proposal's author or the assembly's admins answer."))
    concern.answer = text(answer, limit=5000, field="answer")
    concern.answered_by, concern.answered_at = user, timezone.now()
    concern.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_record(actor=user, action="concern.answer", target=concern)
    notify.people_tell(
        users=[concern.author],
        text=_("Your concern on “%(title)s” was answered. Keep your position or change it.")
        % {"title": question.title},
        url=_url(question) + f"#concern-{concern.pk}",
        exclude=user,
    )
    return concern


@transaction.atomic
def concern_withdraw(*, user: Any, concern: Concern) -> Concern:
    if concern.author_id != getattr(user, "pk", None):
        raise PermissionDenied(_("Only its author withdraws a concern."))
    Concern.objects.filter(pk=concern.pk).update(withdrawn=True)
    concern.refresh_from_db()
    audit_record(actor=user, action="concern.withdraw", target=concern)
    return concern


def _group_content(parent: Question, child: Question, result: dict[str, Any]) -> dict[str, Any]:
    """A group's own decision turned into its one ballot on the coalition's question."""
    if parent.yes_no:
        if result.get("reason") in (motions.NO_VOTES, motions.NO_QUORUM):
            position = "stand_aside" if parent.method == Method.CONSENT else "abstain"
        elif parent.method == Method.CONSENT:
            position = "consent" if result.get("passed") else "objection"
        else:
            position = "yes" if result.get("passed") else "no"
        return {"position": position}
    by_label = {o.label: str(o.pk) for o in parent.options.all()}
    ranking = [by_label[label] for label in result.get("ranking") or [] if label in by_label]
    winners = [by_label[label] for label in result.get("winners") or [] if label in by_label]
    if parent.method in RANKED:
        return {"ranking": [[c] for c in ranking or winners]}
    if parent.method == Method.PLURALITY:
        return {"choice": winners[0]} if winners else {}
    if parent.method == Method.SCORE:
        top = len(ranking)
        return {
            "scores": {
                c: max(0, parent.max_score * (top - i) // max(1, top))
                for i, c in enumerate(ranking)
            }
        }
    return {"approvals": winners}


def _close(question: Question, actor: Any) -> Question:
    result = counting.compute(question)
    closed = Question.objects.filter(pk=question.pk, state=QuestionState.OPEN).update(
        state=QuestionState.CLOSED, result=result, decided_at=timezone.now()
    )
    if not closed:
        return question
    question.refresh_from_db()
    passed = bool(result.get("passed"))
    undecided = result.get("reason") in (motions.NO_VOTES, motions.NO_QUORUM)
    if question.amendment_id:
        if passed:
            amendment_apply(question.amendment)  # type: ignore[arg-type]
        else:
            Amendment.objects.filter(pk=question.amendment_id).update(
                status=AmendmentStatus.REJECTED
            )
    elif question.proposal_id and question.yes_no:
        status = (
            ProposalStatus.AGENDA
            if undecided
            else (ProposalStatus.ADOPTED if passed else ProposalStatus.REJECTED)
        )
        Proposal.objects.filter(pk=question.proposal_id).update(status=status)
        if not undecided:
            proposal_decided.send(
                sender=Proposal,
                proposal=Proposal.objects.get(pk=question.proposal_id),
                adopted=passed,
                actor=actor,
            )
    if question.parent_id:
        parent = Question.objects.select_related("assembly").get(pk=question.parent_id)
        group = question.assembly.organization
        try:
            content = _check_content(parent, _group_content(parent, question, result))
        except ValidationError:
            # The group reached no usable result (nobody ranked anything): it casts no vote,
            # as a group whose admin never voted does not.
            content = {}
        if content and parent.state == QuestionState.OPEN:
            _store(
                parent,
                key=group_key(parent.pk, group),
                content=content,
                source=BallotSource.GROUP,
                voter=None,
                organization=group,
                weight=group_weight(parent, group),
            )
    # Delegates elected, mandates given and recalls decided in a group's own assembly.
    from assemblies.services.delegates import question_settle

    question_settle(question=question, result=result, actor=actor)
    audit_record(actor=actor, action="question.close", target=question, data={"passed": passed})
    notify.members_tell(
        assembly=question.assembly,
        subject=_("Voting closed: %(title)s") % {"title": question.title},
        text=_("The round closed in the assembly of %(name)s; the result is on its page.")
        % {"name": question.assembly},
        url=_url(question),
    )
    return question


@transaction.atomic
def question_close(*, user: Any, question: Question) -> Question:
    """An admin closes the round now; the result is counted and kept."""
    permissions.require_admin(user, question.assembly)
    if question.state != QuestionState.OPEN:
        raise ValidationError(_("Only an open round can be closed."))
    return _close(question, user)


def questions_open_due(*, now: datetime | None = None) -> int:
    """Open every scheduled round whose time has come (the worker's tick calls this)."""
    now = now or timezone.now()
    count = 0
    for pk in Question.objects.filter(
        state=QuestionState.DRAFT, opens_at__isnull=False, opens_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            question = Question.objects.select_related("assembly__organization").get(pk=pk)
            count += _start(question, None, question.closes_at)
    return count


def rounds_tick() -> dict[str, int]:
    """The worker's chore: open the rounds that are due, then close those whose time is up."""
    return {"opened": questions_open_due(), "closed": questions_close_due()}


def questions_close_due(*, now: datetime | None = None) -> int:
    """Close every round whose time is up (the worker's tick calls this)."""
    now = now or timezone.now()
    count = 0
    # Newest first: a group's own round closes before the coalition's round it votes in, so
    # its result still counts when both end at the same time.
    due = Question.objects.filter(state=QuestionState.OPEN, closes_at__lte=now).order_by("-pk")
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            question = (
                Question.objects.select_for_update(of=("self",))
                .select_related("assembly__organization")
                .get(pk=pk)
            )
            if question.state == QuestionState.OPEN:
                _close(question, None)
                count += 1
    return count
