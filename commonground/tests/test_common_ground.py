"""Common ground is listed only when every group's majority leans the same way with enough votes:
small polarised and small consensual conversations worked by hand, and real open-data ones."""

from pathlib import Path

import numpy as np
import pytest

from commonground import engine, polis_io, summary
from commonground.engine.common_ground import find_common_ground, leanings

POLIS = Path("/work/shared/data/polis")


def camps(statements: list[tuple[int, int]], per_camp: int = 4) -> engine.VoteMatrix:
    """Two camps of `per_camp` people; each statement is (camp A's vote, camp B's vote)."""
    pids, sids, values = [], [], []
    for camp in range(2):
        for person in range(per_camp):
            for s, votes in enumerate(statements):
                pids.append(f"{camp}-{person}")
                sids.append(str(s))
                values.append(votes[camp])
    return engine.vote_matrix_from_triples(pids, sids, values)


def stored(votes: engine.VoteMatrix) -> dict:
    return summary.summarize(votes, engine.analyze(votes))


POLARISED = [(1, -1), (1, -1), (1, -1), (-1, 1), (-1, 1), (-1, 1), (1, -1), (-1, 1)]


class TestSmallPolarised:
    def test_it_finds_no_common_ground_between_two_opposed_camps(self) -> None:
        data = stored(camps(POLARISED))
        assert len(data["groups"]) == 2
        # The rankings still have a top, which is what the page used to list as common ground.
        assert data["group_aware_consensus"] and data["bridging"]
        common = data["common_ground"]
        assert common["agree"] == [] and common["disagree"] == [] and common["bridging"] == []
        assert common["divided"] == len(POLARISED)

    def test_it_says_more_statements_would_help(self) -> None:
        # Three statements, each accepted by all four of one camp and rejected by the other.
        agree = np.array([[4, 4, 0], [0, 0, 4]])
        disagree = 4 - agree
        found = find_common_ground(
            ["a", "b", "c"],
            agree,
            disagree,
            agree + disagree,
            consensus_score={},
            bridging_score={},
        )
        assert not found.found and found.divided == 3 and found.needs_more_statements


class TestSmallConsensual:
    def test_it_lists_what_both_camps_agree_and_reject(self) -> None:
        statements = [(1, 1), (1, 1), (-1, -1), *POLARISED]
        common = stored(camps(statements))["common_ground"]
        assert sorted(common["agree"]) == ["0", "1"]
        assert common["disagree"] == ["2"]
        assert sorted(common["bridging"]) == ["0", "1"]
        assert common["divided"] == len(POLARISED)

    def test_it_waits_for_enough_votes_in_every_group(self) -> None:
        # Two people in one group agree: a majority, but too few to speak for the group.
        assert leanings([[2], [9]], [[0], [0]], [[2], [10]]) == ["short"]
        assert leanings([[3], [9]], [[0], [0]], [[3], [10]]) == ["agree"]

    def test_it_counts_passes_against_a_majority(self) -> None:
        # 3 agree, 1 disagrees, 4 pass: 3 of 8 who saw it is no majority.
        assert leanings([[3], [9]], [[1], [0]], [[8], [10]]) == ["short"]

    def test_it_treats_a_room_without_groups_as_one_group(self) -> None:
        # Everyone votes alike, so the map has a single group: the room is that group.
        votes = camps([(1, 1), (-1, -1), (1, 1)], per_camp=2)
        data = stored(votes)
        assert len(data["groups"]) < 2
        assert sorted(data["common_ground"]["agree"]) == ["0", "2"]
        assert data["common_ground"]["disagree"] == ["1"]


def _real(name: str) -> tuple[dict, engine.VoteMatrix]:
    folder = POLIS / name
    if not folder.exists():
        pytest.skip(f"{folder} is not here")
    votes = polis_io.read_votes(folder / "votes.csv")
    hidden = polis_io.moderated_out(polis_io.read_comments(folder / "comments.csv"))
    return summary.summarize(votes, engine.analyze(votes, mod_out=hidden)), votes


@pytest.mark.parametrize(
    "name", ["brexit-consensus", "15-per-hour-seattle", "canadian-electoral-reform"]
)
def test_every_listed_statement_has_every_groups_majority_on_real_conversations(name: str) -> None:
    data, _ = _real(name)
    common = data["common_ground"]
    for direction, index in (("agree", 0), ("disagree", 1)):
        for sid in common[direction]:
            for counts in data["group_votes"][sid]:
                assert counts[index] * 2 > counts[2], (name, direction, sid, counts)
    assert set(common["bridging"]) <= set(data["group_votes"])


def test_a_real_polarised_conversation_has_no_common_ground_yet() -> None:
    data, _ = _real("15-per-hour-seattle")
    common = data["common_ground"]
    assert common["agree"] == [] and common["disagree"] == []
    assert common["divided"] > 0 and common["short_of_votes"] > 0


def test_a_real_conversation_about_consensus_finds_some() -> None:
    data, _ = _real("brexit-consensus")
    assert data["common_ground"]["agree"]
