"""Delegates with recallable mandates: a city coalition, itself a member of a state network,
elects its delegates by STV, instructs them, they vote for it and report back, and it recalls
one; the replacement takes the standing votes."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, User
from assemblies import notify, services
from assemblies.models import (
    Announcement,
    Ballot,
    Delegate,
    DelegateStatus,
    DelegateVote,
    MandateState,
    Method,
    Question,
)
from assemblies.services import delegates as dlg
from assemblies.tests.conftest import City, State
from coalitions.models import Notice

pytestmark = pytest.mark.django_db


def _elect(city: City, state: State) -> tuple[Question, list[Delegate]]:
    """Portland Commons elects two of three candidates; admins[2] comes next in line."""
    a = city.admins
    election = dlg.delegate_election_start(
        user=city.chair,
        group=city.coalition,
        coalition=state.network,
        seats=2,
        candidates=[a[0], a[1], a[2]],
    )
    question = election.question
    ids = {c.user_id: str(c.option_id) for c in election.candidates.all()}
    rankings = [
        [a[0], a[1]],
        [a[1], a[0]],
        [a[0], a[2], a[1]],
        [a[2], a[1]],
        [a[1], a[0]],
    ]
    for voter, ranking in zip(a, rankings, strict=True):
        services.ballot_cast(
            user=voter, question=question, content={"ranking": [[ids[p.pk]] for p in ranking]}
        )
    services.question_close(user=city.chair, question=question)
    # admins[0] first, whichever order the count elected the two in.
    made = Delegate.objects.filter(group=city.coalition)
    return question, sorted(made, key=lambda d: (d.status != DelegateStatus.ACTIVE, d.user_id))


def _state_question(state: State, **kwargs: Any) -> Question:
    question = services.question_create(
        user=state.chair,
        assembly=state.assembly,
        title="Adopt the housing plank?",
        method=Method.MAJORITY,
        **kwargs,
    )
    return services.question_open(user=state.chair, question=question)


def test_it_elects_two_delegates_by_stv_and_keeps_the_next_in_line(
    city: City, state: State
) -> None:
    question, seats = _elect(city, state)
    assert question.assembly.organization == city.coalition
    assert {s.user for s in seats if s.status == DelegateStatus.ACTIVE} == set(city.admins[:2])
    assert [(s.user, s.status) for s in seats[2:]] == [(city.admins[2], DelegateStatus.RESERVE)]
    assert Notice.objects.filter(user=city.admins[0], text__contains="elected a delegate").exists()
    assert AuditEvent.objects.filter(action="delegate.elect").count() == 2


def test_it_refuses_candidates_who_are_not_the_groups_people(
    city: City, state: State, outsider: User
) -> None:
    with pytest.raises(ValidationError):
        dlg.delegate_election_start(
            user=city.chair,
            group=city.coalition,
            coalition=state.network,
            seats=1,
            candidates=[city.admins[0], outsider],
        )


def test_it_lets_only_delegates_cast_the_groups_vote_where_it_votes_by_them(
    city: City, state: State
) -> None:
    _q, seats = _elect(city, state)
    question = _state_question(state)
    with pytest.raises(PermissionDenied):  # not yet voting by delegates
        dlg.delegate_ballot_cast(
            user=seats[0].user, question=question, group=city.coalition, content={"position": "yes"}
        )
    dlg.delegation_update(
        user=city.chair, group=city.coalition, coalition=state.network, votes_by_delegates=True
    )
    with pytest.raises(PermissionDenied):  # the group's admin no longer casts it alone
        services.ballot_cast(
            user=city.chair,
            question=question,
            content={"position": "no"},
            organization=city.coalition,
        )
    with pytest.raises(PermissionDenied):  # the next in line does not vote yet
        dlg.delegate_ballot_cast(
            user=seats[2].user, question=question, group=city.coalition, content={"position": "yes"}
        )
    dlg.delegate_ballot_cast(
        user=seats[0].user, question=question, group=city.coalition, content={"position": "yes"}
    )
    ballot = Ballot.objects.get(question=question)
    assert (ballot.organization, ballot.voter, ballot.source) == (
        city.coalition,
        seats[0].user,
        "group",
    )
    assert DelegateVote.objects.get(delegate=seats[0]).content == {"position": "yes"}
    assert AuditEvent.objects.filter(action="delegate.vote").exists()


def test_it_gives_a_mandate_when_the_groups_vote_passes_and_tells_the_delegate(
    city: City, state: State
) -> None:
    _q, seats = _elect(city, state)
    question = _state_question(state)
    mandate = dlg.mandate_give(
        user=city.chair,
        delegate=seats[0],
        instruction="Vote yes unless rent control is cut.",
        question=question,
        by_vote=True,
    )
    assert mandate.state == MandateState.PROPOSED
    assert mandate.decision is not None
    assert mandate.decision.assembly == city.assembly
    for admin in city.admins[:3]:
        services.ballot_cast(user=admin, question=mandate.decision, content={"position": "yes"})
    services.question_close(user=city.chair, question=mandate.decision)
    mandate.refresh_from_db()
    assert mandate.state == MandateState.GIVEN
    assert Notice.objects.filter(user=seats[0].user, text__contains="gave you a mandate").exists()
    assert any(
        "gave you a mandate" in m.subject and m.to == [seats[0].user.email] for m in mail.outbox
    )


def test_it_does_not_give_a_mandate_the_group_voted_down(city: City, state: State) -> None:
    _q, seats = _elect(city, state)
    mandate = dlg.mandate_give(
        user=city.chair, delegate=seats[1], instruction="Abstain on everything.", by_vote=True
    )
    assert mandate.decision is not None
    for admin in city.admins[:3]:
        services.ballot_cast(user=admin, question=mandate.decision, content={"position": "no"})
    services.question_close(user=city.chair, question=mandate.decision)
    mandate.refresh_from_db()
    assert mandate.state == MandateState.REJECTED


def test_it_refuses_a_mandate_on_another_coalitions_question(city: City, state: State) -> None:
    _q, seats = _elect(city, state)
    own = services.question_create(
        user=city.chair, assembly=city.assembly, title="Own", method=Method.MAJORITY
    )
    with pytest.raises(PermissionDenied):
        dlg.mandate_give(user=city.chair, delegate=seats[0], instruction="Yes.", question=own)


def test_a_recall_by_vote_hands_the_seat_and_standing_votes_to_the_next_in_line(
    city: City, state: State
) -> None:
    _q, seats = _elect(city, state)
    dlg.delegation_update(
        user=city.chair, group=city.coalition, coalition=state.network, votes_by_delegates=True
    )
    question = _state_question(state)
    dlg.delegate_ballot_cast(
        user=seats[0].user, question=question, group=city.coalition, content={"position": "yes"}
    )
    recall = dlg.delegate_recall_vote(
        user=city.chair, delegate=seats[0], reason="Voted against our mandate."
    )
    assert recall.assembly == city.assembly
    for admin in city.admins[1:4]:
        services.ballot_cast(user=admin, question=recall, content={"position": "yes"})
    Announcement.objects.all().delete()
    services.question_close(user=city.chair, question=recall)
    old, new = Delegate.objects.get(pk=seats[0].pk), Delegate.objects.get(pk=seats[2].pk)
    assert old.status == DelegateStatus.RECALLED
    assert (new.status, new.replaces) == (DelegateStatus.ACTIVE, old)
    standing = DelegateVote.objects.get(delegate=new, question=question)
    assert (standing.content, standing.carried_from) == ({"position": "yes"}, old)
    # The ballot stays the group's, now recorded as cast by the replacement, who may change it.
    assert Ballot.objects.get(question=question).voter == new.user
    assert Notice.objects.filter(user=new.user, text__contains="standing votes").exists()
    assert {m.to[0] for m in mail.outbox if "recalled you" in m.subject} == {old.user.email}
    assert Announcement.objects.filter(subject__contains="was recalled").exists()
    with pytest.raises(PermissionDenied):
        dlg.delegate_ballot_cast(
            user=old.user, question=question, group=city.coalition, content={"position": "no"}
        )
    dlg.delegate_ballot_cast(
        user=new.user, question=question, group=city.coalition, content={"position": "no"}
    )
    assert Ballot.objects.get(question=question).content == {"position": "no"}


def test_a_failed_recall_vote_leaves_the_delegate_in_place(city: City, state: State) -> None:
    _q, seats = _elect(city, state)
    recall = dlg.delegate_recall_vote(user=city.chair, delegate=seats[1], reason="Absent.")
    for admin in city.admins[:3]:
        services.ballot_cast(user=admin, question=recall, content={"position": "no"})
    services.question_close(user=city.chair, question=recall)
    assert Delegate.objects.get(pk=seats[1].pk).status == DelegateStatus.ACTIVE


def test_a_recorded_recall_waits_for_an_appointment_that_then_takes_the_votes(
    city: City, state: State
) -> None:
    dlg.delegation_update(
        user=city.chair, group=city.coalition, coalition=state.network, votes_by_delegates=True
    )
    first = dlg.delegate_appoint(
        user=city.chair, group=city.coalition, coalition=state.network, person=city.admins[3]
    )
    question = _state_question(state)
    dlg.delegate_ballot_cast(
        user=city.admins[3], question=question, group=city.coalition, content={"position": "no"}
    )
    assert (
        dlg.delegate_recall_record(user=city.chair, delegate=first, reason="Meeting of May 2.")
        is None
    )
    second = dlg.delegate_appoint(
        user=city.chair, group=city.coalition, coalition=state.network, person=city.admins[4]
    )
    assert second.replaces == first
    assert DelegateVote.objects.get(delegate=second).carried_from == first
    assert AuditEvent.objects.filter(action="delegate.recall").exists()


def test_a_report_is_told_to_the_group(city: City, state: State) -> None:
    _q, seats = _elect(city, state)
    question = _state_question(state)
    with pytest.raises(PermissionDenied):
        dlg.report_write(user=city.admins[1], delegate=seats[0], text_="Not mine.")
    report = dlg.report_write(
        user=seats[0].user, delegate=seats[0], text_="The plank passed 3 to 1.", question=question
    )
    assert report.question == question
    announcement = Announcement.objects.get(
        assembly=city.assembly, subject__contains="reported back"
    )
    # Every member of the group gets a notice (and a mail row) when the fan-out runs.
    notify.fan_out(announcement.pk)
    assert Notice.objects.filter(user=city.admins[3], text__contains="reported back").exists()


@pytest.fixture
def strangers(outsider: User, state: State) -> dict[str, Any]:
    """Anonymous, a signed-in outsider, and the admin of another group in the state network."""
    return {"anonymous": AnonymousUser(), "outsider": outsider, "other": state.other_admins[0]}


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other"])
def test_it_refuses_outsiders_at_every_step(
    city: City, state: State, strangers: dict[str, Any], who: str
) -> None:
    stranger = strangers[who]
    _q, seats = _elect(city, state)
    question = _state_question(state)
    steps = [
        lambda: dlg.delegation_update(
            user=stranger, group=city.coalition, coalition=state.network, votes_by_delegates=True
        ),
        lambda: dlg.delegate_appoint(
            user=stranger, group=city.coalition, coalition=state.network, person=city.admins[4]
        ),
        lambda: dlg.delegate_election_start(
            user=stranger,
            group=city.coalition,
            coalition=state.network,
            seats=1,
            candidates=city.admins[:2],
        ),
        lambda: dlg.mandate_give(user=stranger, delegate=seats[0], instruction="No."),
        lambda: dlg.delegate_ballot_cast(
            user=stranger, question=question, group=city.coalition, content={"position": "no"}
        ),
        lambda: dlg.report_write(user=stranger, delegate=seats[0], text_="Lies."),
        lambda: dlg.delegate_recall_record(user=stranger, delegate=seats[0], reason="Because."),
        lambda: dlg.delegate_recall_vote(user=stranger, delegate=seats[0], reason="Because."),
    ]
    for step in steps:
        with pytest.raises(PermissionDenied):
            step()
    assert Delegate.objects.get(pk=seats[0].pk).status == DelegateStatus.ACTIVE


def test_a_member_who_is_not_an_admin_reads_the_record_but_cannot_instruct_or_recall(
    city: City, state: State
) -> None:
    from assemblies import delegates

    _q, seats = _elect(city, state)
    member = city.admins[3]  # speaks for a member group of the coalition, not for the coalition
    assert delegates.may_see_record(member, city.coalition)
    with pytest.raises(PermissionDenied):
        dlg.mandate_give(user=member, delegate=seats[0], instruction="No.")
    with pytest.raises(PermissionDenied):
        dlg.delegate_recall_record(user=member, delegate=seats[0], reason="Because.")
    with pytest.raises(PermissionDenied):
        dlg.delegate_appoint(
            user=member, group=city.coalition, coalition=state.network, person=member
        )
