"""Delegates with recallable mandates: electing or appointing a group's delegates to a coalition,
giving them mandates, their votes for the group, their reports, and their recall.

Everything the group decides by vote is a question in the group's own assembly; when that round
closes, `question_settle` (called from the closing service, in its transaction) installs the
elected, gives or refuses the mandate, or recalls the delegate.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import counting, delegates, notify, permissions
from assemblies.methods import decide
from assemblies.models import (
    Assembly,
    BallotSource,
    Candidate,
    Delegate,
    DelegateStatus,
    DelegateVote,
    Delegation,
    Election,
    Mandate,
    MandateState,
    Meeting,
    Method,
    Proposal,
    Question,
    QuestionState,
    Report,
)
from assemblies.services._shared import group_key, text
from assemblies.services.assemblies import assembly_open
from assemblies.services.questions import (
    _check_content,
    _record_concern,
    _store,
    group_weight,
    question_create,
    question_open,
)
from directory.models import Organization


def _record_url(delegate: Delegate) -> str:
    return reverse("assemblies:delegate", args=[delegate.pk])


def _own_assembly(user: Any, group: Organization) -> Assembly:
    """The group's own assembly, where it votes on its delegates; opened on first need."""
    return Assembly.objects.filter(organization=group).first() or assembly_open(
        user=user, organization=group
    )


def _tell_group(group: Organization, *, subject: str, text: str, url: str) -> None:
    """Every member of the group through its assembly's announcement, or its admins."""
    assembly = Assembly.objects.filter(organization=group).first()
    if assembly is not None:
        notify.members_tell(assembly=assembly, subject=subject, text=text, url=url)
    else:
        notify.people_tell(
            users=[a.user for a in group.admins.select_related("user")], text=text, url=url
        )


def _require_candidate(group: Organization, person: Any) -> None:
    pk = getattr(person, "pk", None)
    if pk is None or not delegates.group_people(group).filter(pk=pk).exists():
        raise ValidationError({"person": _("A delegate is one of the group's own people.")})


@transaction.atomic
def delegation_update(
    *, user: Any, group: Organization, coalition: Organization, votes_by_delegates: bool
) -> Delegation:
    """The group's admins decide whether its delegates cast its vote in the coalition."""
    delegates.require_group_admin(user, group)
    delegates.require_member_of(group, coalition)
    delegation, _created = Delegation.objects.update_or_create(
        group=group,
        coalition=coalition,
        defaults={"votes_by_delegates": votes_by_delegates, "updated_by": user},
    )
    audit_record(
        actor=user,
        action="delegation.update",
        target=delegation,
        data={"votes_by_delegates": votes_by_delegates},
    )
    return delegation


def _carry_votes(old: Delegate, new: Delegate) -> int:
    """The recalled delegate's ballots on rounds still open become the replacement's: shown to
    them as standing votes, recorded as cast by them, theirs to keep or change."""
    carried = 0
    for vote in DelegateVote.objects.filter(
        delegate=old, question__state=QuestionState.OPEN
    ).select_related("question"):
        DelegateVote.objects.update_or_create(
            delegate=new,
            question=vote.question,
            defaults={"content": vote.content, "carried_from": old},
        )
        if not vote.question.secret:
            vote.question.ballots.filter(
                voter_key=group_key(vote.question_id, new.group), source=BallotSource.GROUP
            ).update(voter=new.user)
        carried += 1
    return carried


def _take_over(old: Delegate, new: Delegate) -> int:
    Delegate.objects.filter(pk=new.pk).update(
        replaces=old, status=DelegateStatus.ACTIVE, started_at=timezone.now()
    )
    new.refresh_from_db()
    carried = _carry_votes(old, new)
    notify.people_tell(
        users=[new.user],
        text=_(
            "You now speak for %(group)s in %(coalition)s in place of %(old)s; "
            "their standing votes are yours to keep or change."
        )
        % {"group": new.group, "coalition": new.coalition, "old": old.user},
        url=_record_url(new),
    )
    return carried


@transaction.atomic
def delegate_appoint(
    *, user: Any, group: Organization, coalition: Organization, person: Any
) -> Delegate:
    """The group's admins appoint one of its people; a recalled seat nobody took over yet
    (and its standing votes) goes to them."""
    delegates.require_group_admin(user, group)
    delegates.require_member_of(group, coalition)
    _require_candidate(group, person)
    if Delegate.objects.filter(
        group=group, coalition=coalition, user=person, status=DelegateStatus.ACTIVE
    ).exists():
        raise ValidationError({"person": _("This person is already a delegate there.")})
    delegate = Delegate.objects.create(
        group=group,
        coalition=coalition,
        user=person,
        appointed_by=user,
        started_at=timezone.now(),
        position=Delegate.objects.filter(group=group, coalition=coalition).count(),
    )
    audit_record(actor=user, action="delegate.appoint", target=delegate, data={"user": person.pk})
    vacant = (
        Delegate.objects.filter(
            group=group, coalition=coalition, status=DelegateStatus.RECALLED, successors=None
        )
        .order_by("recalled_at", "id")
        .first()
    )
    if vacant is not None:
        _take_over(vacant, delegate)
    else:
        notify.people_tell(
            users=[person],
            text=_("You are now a delegate of %(group)s to %(coalition)s.")
            % {"group": group, "coalition": coalition},
            url=_record_url(delegate),
        )
    return delegate


@transaction.atomic
def delegate_election_start(
    *,
    user: Any,
    group: Organization,
    coalition: Organization,
    seats: int,
    candidates: list[Any],
    closes_at: datetime | None = None,
) -> Election:
    """The group elects its delegates by single transferable vote in its own assembly; the
    options are its people. When the round closes the elected take their seats."""
    delegates.require_group_admin(user, group)
    delegates.require_member_of(group, coalition)
    seats = int(seats)
    people = {p.pk: p for p in candidates}
    if len(people) < 2 or not 1 <= seats < len(people):
        raise ValidationError(
            {"candidates": _("Name more candidates than there are seats, and at least two.")}
        )
    for person in people.values():
        _require_candidate(group, person)
    labels: dict[str, Any] = {}
    for person in people.values():
        # Two people of the same name stay two options.
        label, n = str(person)[:190], 2
        while label in labels:
            label, n = f"{str(person)[:185]} ({n})", n + 1
        labels[label] = person
    question = question_create(
        user=user,
        assembly=_own_assembly(user, group),
        title=_("Delegates of %(group)s to %(coalition)s")
        % {"group": group, "coalition": coalition},
        method=Method.STV,
        seats=seats,
        options=[(label, None) for label in labels],
    )
    election = Election.objects.create(
        group=group, coalition=coalition, question=question, seats=seats, created_by=user
    )
    for option in question.options.all():
        Candidate.objects.create(election=election, option=option, user=labels[option.label])
    audit_record(actor=user, action="election.start", target=election, data={"seats": seats})
    question_open(user=user, question=question, closes_at=closes_at)
    return election


def _line_after(question: Question, winners: list[str], seats: int) -> list[str]:
    """Who would have been elected next: the count run again with one more seat each time,
    so a recalled seat goes to the one the group's ballots put next."""
    option_ids = [str(pk) for pk in question.options.values_list("pk", flat=True)]
    ballots = [
        counting.method_ballot(question, c, w) for c, _s, w in counting.grouped_ballots(question)
    ]
    line: list[str] = []
    for more in range(seats + 1, len(option_ids)):
        outcome = decide(question.method, option_ids, ballots, seats=more)
        line += [w for w in outcome.winners if w not in winners and w not in line]
    line += [o for o in option_ids if o not in winners and o not in line]
    return line


def _elect(election: Election, question: Question, result: dict[str, Any]) -> None:
    candidates = {str(c.option_id): c for c in election.candidates.select_related("user", "option")}
    by_label = {c.option.label: key for key, c in candidates.items()}
    winners = [by_label[w] for w in result.get("winners") or [] if w in by_label]
    if not winners:
        return
    # The seats the group held before are filled anew; earlier delegates' terms end.
    Delegate.objects.filter(
        group=election.group,
        coalition=election.coalition,
        status__in=[DelegateStatus.ACTIVE, DelegateStatus.RESERVE],
    ).update(status=DelegateStatus.ENDED)
    now = timezone.now()
    order = winners + _line_after(question, winners, election.seats)
    made = []
    for i, key in enumerate(order):
        elected = i < len(winners)
        made.append(
            Delegate.objects.create(
                group=election.group,
                coalition=election.coalition,
                user=candidates[key].user,
                election=election,
                position=i,
                status=DelegateStatus.ACTIVE if elected else DelegateStatus.RESERVE,
                started_at=now if elected else None,
            )
        )
    for delegate in made[: len(winners)]:
        audit_record(actor=None, action="delegate.elect", target=delegate)
        notify.people_tell(
            users=[delegate.user],
            text=_("You were elected a delegate of %(group)s to %(coalition)s.")
            % {"group": election.group, "coalition": election.coalition},
            url=_record_url(delegate),
        )


def _subject(coalition: Organization, question: Question | None, proposal: Proposal | None) -> None:
    for item in (question, proposal):
        if item is not None and item.assembly.organization_id != coalition.pk:
            raise PermissionDenied(
                _("That item is not in the assembly of %(name)s.") % {"name": coalition}
            )


def _mandate_given(mandate: Mandate) -> None:
    delegate = mandate.delegate
    notify.people_tell(
        users=[delegate.user],
        text=_("%(group)s gave you a mandate: %(instruction)s")
        % {"group": delegate.group, "instruction": mandate.instruction},
        url=_record_url(delegate) + f"#mandate-{mandate.pk}",
    )


@transaction.atomic
def mandate_give(
    *,
    user: Any,
    delegate: Delegate,
    instruction: str,
    question: Question | None = None,
    proposal: Proposal | None = None,
    by_vote: bool = False,
    closes_at: datetime | None = None,
) -> Mandate:
    """The group's admins record a mandate the group decided, or put it to the group's vote
    (a majority question in its own assembly; given when it passes)."""
    delegates.require_group_admin(user, delegate.group)
    if delegate.status != DelegateStatus.ACTIVE:
        raise ValidationError(_("Only a serving delegate carries a mandate."))
    _subject(delegate.coalition, question, proposal)
    instruction = text(instruction, limit=5000, field="instruction")
    mandate = Mandate.objects.create(
        delegate=delegate,
        question=question,
        proposal=proposal,
        instruction=instruction,
        state=MandateState.PROPOSED if by_vote else MandateState.GIVEN,
        recorded_by=user,
    )
    audit_record(actor=user, action="mandate.give", target=mandate, data={"by_vote": by_vote})
    if not by_vote:
        _mandate_given(mandate)
        return mandate
    item = question or proposal
    decision = question_create(
        user=user,
        assembly=_own_assembly(user, delegate.group),
        title=(
            _("Mandate %(person)s on “%(item)s”: %(instruction)s")
            % {"person": delegate.user, "item": item, "instruction": instruction}
            if item
            else _("Mandate %(person)s: %(instruction)s")
            % {"person": delegate.user, "instruction": instruction}
        )[:300],
        method=Method.MAJORITY,
        hide_results=False,
    )
    Mandate.objects.filter(pk=mandate.pk).update(decision=decision)
    mandate.decision = decision
    question_open(user=user, question=decision, closes_at=closes_at)
    return mandate


@transaction.atomic
def delegate_ballot_cast(
    *, user: Any, question: Question, group: Organization, content: dict[str, Any], reason: str = ""
) -> DelegateVote:
    """A delegate casts the group's one ballot in the coalition's assembly, where the group
    votes by its delegates. Casting again changes it while the round is open."""
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("assembly__organization", "proposal")
        .get(pk=question.pk)
    )
    coalition = question.assembly.organization
    seat = delegates.active_seat(user, group, coalition)
    if seat is None or not delegates.votes_by_delegates(group, coalition):
        raise PermissionDenied(
            _("Only a delegate of %(group)s casts its vote here.") % {"group": group}
        )
    if not permissions.member_groups(question.assembly).filter(pk=group.pk).exists():
        raise PermissionDenied(
            _("%(group)s is not a member group of this assembly.") % {"group": group}
        )
    if question.state != QuestionState.OPEN or (
        question.closes_at is not None and question.closes_at <= timezone.now()
    ):
        raise ValidationError(_("This round is not open for votes."))
    content = _check_content(question, content)
    position = str(content.get("position", ""))
    reason = text(reason, limit=5000, field="reason", required=position in ("block", "objection"))
    _store(
        question,
        key=group_key(question.pk, group),
        content=content,
        source=BallotSource.GROUP,
        voter=user,
        organization=group,
        weight=group_weight(question, group),
    )
    if question.method == Method.CONSENT:
        _record_concern(question, user, position, reason)
    vote, _created = DelegateVote.objects.update_or_create(
        delegate=seat, question=question, defaults={"content": content, "carried_from": None}
    )
    audit_record(
        actor=user,
        action="delegate.vote",
        target=question,
        data={"group": group.pk, "delegate": seat.pk},
    )
    return vote


@transaction.atomic
def report_write(
    *,
    user: Any,
    delegate: Delegate,
    text_: str,
    question: Question | None = None,
    meeting: Meeting | None = None,
) -> Report:
    """The delegate reports back to the group on a meeting or a question of the coalition."""
    if delegate.user_id != getattr(user, "pk", None):
        raise PermissionDenied(_("Only the delegate writes their report."))
    _subject(delegate.coalition, question, None)
    if meeting is not None and meeting.assembly.organization_id != delegate.coalition_id:
        raise PermissionDenied(
            _("That meeting is not in the assembly of %(name)s.") % {"name": delegate.coalition}
        )
    report = Report.objects.create(
        delegate=delegate,
        question=question,
        meeting=meeting,
        text=text(text_, limit=20000, field="text"),
    )
    audit_record(actor=user, action="delegate.report", target=report)
    _tell_group(
        delegate.group,
        subject=_("%(person)s reported back from %(coalition)s")
        % {"person": delegate.user, "coalition": delegate.coalition},
        text=report.text[:500],
        url=_record_url(delegate) + f"#report-{report.pk}",
    )
    return report


def _recall(delegate: Delegate, *, actor: Any, reason: str) -> Delegate | None:
    """Recall once; the next in line takes the seat and the standing votes. Returns the
    replacement, if anyone was in line (otherwise the next one appointed takes over)."""
    recalled = Delegate.objects.filter(pk=delegate.pk, status=DelegateStatus.ACTIVE).update(
        status=DelegateStatus.RECALLED,
        recalled_at=timezone.now(),
        recalled_by=actor if permissions.signed_in(actor) else None,
        recall_reason=reason,
    )
    if not recalled:
        return None
    delegate.refresh_from_db()
    audit_record(actor=actor, action="delegate.recall", target=delegate)
    replacement = (
        Delegate.objects.filter(
            group=delegate.group, coalition=delegate.coalition, status=DelegateStatus.RESERVE
        )
        .order_by("position", "id")
        .first()
    )
    if replacement is not None:
        _take_over(delegate, replacement)
    notify.people_tell(
        users=[delegate.user],
        text=_("%(group)s recalled you as its delegate to %(coalition)s.")
        % {"group": delegate.group, "coalition": delegate.coalition},
        url=_record_url(delegate),
    )
    _tell_group(
        delegate.group,
        subject=_("%(person)s was recalled as delegate to %(coalition)s")
        % {"person": delegate.user, "coalition": delegate.coalition},
        text=(
            _("%(person)s takes the seat.") % {"person": replacement.user}
            if replacement
            else _("The seat waits for the admins to appoint someone.")
        ),
        url=_record_url(delegate),
    )
    return replacement


@transaction.atomic
def delegate_recall_record(*, user: Any, delegate: Delegate, reason: str) -> Delegate | None:
    """The group's admins record a recall the group decided in a meeting."""
    delegates.require_group_admin(user, delegate.group)
    if delegate.status != DelegateStatus.ACTIVE:
        raise ValidationError(_("Only a serving delegate can be recalled."))
    return _recall(delegate, actor=user, reason=text(reason, limit=5000, field="reason"))


@transaction.atomic
def delegate_recall_vote(
    *, user: Any, delegate: Delegate, reason: str, closes_at: datetime | None = None
) -> Question:
    """Put a recall to a majority of the group's own assembly; it takes effect when it passes."""
    delegates.require_group_admin(user, delegate.group)
    if delegate.status != DelegateStatus.ACTIVE:
        raise ValidationError(_("Only a serving delegate can be recalled."))
    if (
        delegate.recall_question is not None
        and delegate.recall_question.state != QuestionState.CLOSED
    ):
        raise ValidationError(_("A recall of this delegate is already being voted on."))
    reason = text(reason, limit=5000, field="reason")
    question = question_create(
        user=user,
        assembly=_own_assembly(user, delegate.group),
        title=(
            _("Recall %(person)s as delegate to %(coalition)s?")
            % {"person": delegate.user, "coalition": delegate.coalition}
        )[:300],
        method=Method.MAJORITY,
        hide_results=False,
    )
    Delegate.objects.filter(pk=delegate.pk).update(recall_question=question, recall_reason=reason)
    audit_record(actor=user, action="delegate.recall_vote", target=delegate)
    question_open(user=user, question=question, closes_at=closes_at)
    return question


def question_settle(*, question: Question, result: dict[str, Any], actor: Any) -> None:
    """A round in a group's own assembly closed: install the elected, give or refuse the
    mandate, or recall the delegate, as the group decided."""
    passed = bool(result.get("passed"))
    election = Election.objects.filter(question=question).first()
    if election is not None:
        if passed:
            _elect(election, question, result)
        return
    for mandate in Mandate.objects.filter(decision=question, state=MandateState.PROPOSED):
        Mandate.objects.filter(pk=mandate.pk).update(
            state=MandateState.GIVEN if passed else MandateState.REJECTED
        )
        audit_record(actor=actor, action="mandate.decide", target=mandate, data={"passed": passed})
        if passed:
            _mandate_given(mandate)
    for delegate in Delegate.objects.filter(recall_question=question, status=DelegateStatus.ACTIVE):
        if passed:
            _recall(delegate, actor=actor, reason=delegate.recall_reason)
