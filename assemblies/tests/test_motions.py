"""The yes/no methods on hand-worked examples."""

from fractions import Fraction

from assemblies import motions
from assemblies.motions import Block, Tally


def test_it_passes_a_simple_majority_with_more_yes_than_no() -> None:
    result = motions.majority(Tally(yes=6, no=5, abstain=10))
    assert result.passed and result.reason == motions.PASSED


def test_it_calls_an_equal_split_a_tie_that_does_not_pass() -> None:
    result = motions.majority(Tally(yes=5, no=5))
    assert not result.passed and result.tie and result.reason == motions.TIE


def test_it_reaches_two_thirds_exactly_but_not_one_short() -> None:
    two_thirds = Fraction(2, 3)
    assert motions.majority(Tally(yes=20, no=10), threshold=two_thirds).passed
    assert not motions.majority(Tally(yes=19, no=10), threshold=two_thirds).passed


def test_it_leaves_abstentions_out_of_the_share_but_in_the_quorum() -> None:
    # 3 yes, 1 no: 75 %; five ballots in all meet a quorum of five.
    assert motions.majority(Tally(yes=3, no=1, abstain=1), quorum=5).passed
    short = motions.majority(Tally(yes=3, no=1), quorum=5)
    assert not short.passed and short.reason == motions.NO_QUORUM


def test_it_says_so_when_nobody_voted() -> None:
    assert motions.majority(Tally()).reason == motions.NO_VOTES


def test_it_needs_both_people_and_groups_for_a_double_majority() -> None:
    # 120 people: 70 yes, 50 no; 5 groups: 2 yes, 3 no -> people yes, groups no.
    result = motions.double_majority(Tally(70, 50), Tally(2, 3))
    assert not result.passed and result.reason == motions.GROUPS_FAILED
    assert result.people == Tally(70, 50) and result.groups == Tally(2, 3)
    assert motions.double_majority(Tally(70, 50), Tally(3, 2)).passed
    assert motions.double_majority(Tally(50, 70), Tally(3, 2)).reason == motions.PEOPLE_FAILED


def test_it_weighs_groups_by_what_the_tally_was_given() -> None:
    # Group weights 40 (yes), 10 (no), 10 (no): 40 of 60 yes passes by weight, not by count.
    assert motions.double_majority(Tally(3, 1), Tally(40, 20)).passed
    assert not motions.double_majority(Tally(3, 1), Tally(1, 2)).passed


def test_it_refuses_a_double_majority_without_enough_groups() -> None:
    result = motions.double_majority(Tally(9, 1), Tally(1, 0), group_quorum=3)
    assert result.reason == motions.NO_GROUP_QUORUM


def test_it_passes_consent_with_objections_but_no_block() -> None:
    result = motions.consent({"consent": 4, "objection": 2, "stand_aside": 1}, [])
    assert result.passed and result.counts["objection"] == 2


def test_it_stops_consent_at_a_block_nobody_has_answered() -> None:
    result = motions.consent({"consent": 9, "block": 1}, [Block(answered=False)])
    assert not result.passed and result.reason == motions.BLOCK_UNANSWERED
    assert result.blocks_unanswered == 1


def test_it_keeps_an_answered_block_that_still_stands_from_passing() -> None:
    result = motions.consent({"consent": 9, "block": 1}, [Block(answered=True)])
    assert not result.passed and result.reason == motions.BLOCKED


def test_it_passes_once_the_answered_block_is_withdrawn() -> None:
    assert motions.consent({"consent": 10}, []).passed


def test_it_wants_a_quorum_for_consent_too() -> None:
    assert motions.consent({"consent": 2}, [], quorum=3).reason == motions.NO_QUORUM
