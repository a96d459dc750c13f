"""The pipeline: who is kept, groups, determinism, bridging and incremental updates."""

import numpy as np
import pytest

from commonground import engine


def planted(n: int = 120, m: int = 30, seed: int = 3, density: float = 0.6) -> engine.VoteMatrix:
    """Two camps that disagree on most statements; statement 0 is common ground, 1 divides."""
    rng = np.random.default_rng(seed)
    camp = np.arange(n) % 2
    stance = rng.choice([-1, 1], size=(2, m))
    stance[1, 2:] = -stance[0, 2:]
    stance[:, 0] = 1  # both camps agree
    stance[0, 1], stance[1, 1] = 1, -1  # camps split
    pids, sids, votes = [], [], []
    for p in range(n):
        for s in range(m):
            if s < 2 or rng.random() < density:
                v = stance[camp[p], s] if rng.random() < 0.85 else -stance[camp[p], s]
                pids.append(f"p{p}")
                sids.append(str(s))
                votes.append(int(v))
    return engine.vote_matrix_from_triples(pids, sids, votes)


def test_it_keeps_participants_with_min_7_votes_topped_up_to_15() -> None:
    counts = np.array([7, 9, 6, 0] + [i % 6 + 1 for i in range(20)])
    kept = engine.participants_in_conversation(counts, 30)
    # Two reach 7 votes; the 13 with most votes fill up to 15, earlier ones winning ties.
    assert kept[:4].tolist() == [True, True, True, False]
    assert kept.sum() == 15
    assert not kept[counts == 0].any()
    others = counts[4:]
    assert others[kept[4:]].min() >= others[~kept[4:]].max()


def test_it_asks_for_fewer_votes_when_there_are_fewer_than_7_statements() -> None:
    counts = np.array([4] * 16 + [3] * 4)
    kept = engine.participants_in_conversation(counts, 4)
    assert kept.tolist() == [True] * 16 + [False] * 4


def test_it_keeps_early_voters_who_answered_everything_there_was() -> None:
    # Participant 0 answers the only two statements before others are written.
    rows = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1])
    cols = np.array([0, 1, 0, 1, 2, 3, 4, 5, 6])
    assert engine.admitted_over_time(rows, cols, 2).tolist() == [True, True]


def test_it_keeps_the_last_vote_and_passes_as_stored_zeros() -> None:
    votes = engine.vote_matrix_from_triples(["a", "a", "b"], ["1", "1", "2"], [1, 0, -1])
    assert votes.matrix.nnz == 2
    assert votes.matrix[0, 0] == 0  # a's pass replaced the agree but is still a vote
    assert votes.matrix[1, 1] == -1
    with pytest.raises(ValueError, match="-1"):
        engine.vote_matrix_from_triples(["a"], ["1"], [2])


def test_it_finds_the_planted_camps_and_2_to_5_groups() -> None:
    votes = planted()
    result = engine.analyze(votes, seed=0)
    assert 2 <= result.n_groups <= 5
    assert result.n_groups == 2
    groups = result.participant_groups
    camp = np.arange(len(groups)) % 2
    assert len(set(zip(camp, groups, strict=True))) == 2


def test_it_is_deterministic_for_a_seed() -> None:
    votes = planted(seed=5, density=0.3)
    first = engine.analyze(votes, seed=11).to_json()
    second = engine.analyze(votes, seed=11).to_json()
    assert first == second


def test_it_ranks_a_statement_both_camps_agree_on_above_a_divisive_one() -> None:
    result = engine.analyze(planted(), seed=0)
    assert result.bridging["0"] > result.bridging["1"]
    assert result.group_aware_consensus["0"] > result.group_aware_consensus["1"]
    assert result.to_json()["group_aware_consensus"][0] == "0"


def test_it_leaves_moderated_out_statements_out_of_every_list() -> None:
    data = engine.analyze(planted(), mod_out={"0"}, seed=0).to_json()
    assert "0" not in data["bridging"]
    assert "0" not in data["group_aware_consensus"]
    assert "0" not in data["consensus"]
    assert all("0" not in ids for ids in data["repness"].values())


def test_it_merges_new_votes_like_a_fresh_build() -> None:
    base = engine.vote_matrix_from_triples(["a", "b", "b"], ["1", "1", "3"], [1, -1, 0])
    merged = engine.merge_votes(base, ["b", "c", "a", "a"], ["1", "2", "3", "3"], [1, 0, -1, 1])
    fresh = engine.vote_matrix_from_triples(
        ["a", "b", "b", "b", "c", "a", "a"],
        ["1", "1", "3", "1", "2", "3", "3"],
        [1, -1, 0, 1, 0, -1, 1],
        participants=merged.participants,
        statements=merged.statements,
    )
    assert merged.participants == ["a", "b", "c"]
    assert (merged.matrix != fresh.matrix).nnz == 0
    assert merged.matrix.nnz == fresh.matrix.nnz == 5  # a: 1, 3; b: 1, 3; c: 2
    assert merged.matrix[1, 1] == 0  # b's pass on 3 is kept as a stored zero


def test_it_updates_from_a_previous_analysis() -> None:
    result = engine.analyze(planted(), seed=0)
    new = [("newcomer", str(s), 1 if s % 2 else -1) for s in range(10)]
    updated = engine.update(result.state, new)
    assert updated.participants[-1] == "newcomer"
    assert updated.in_conv[-1]
    assert updated.n_groups == 2
    assert updated.participant_groups[-1] >= 0
