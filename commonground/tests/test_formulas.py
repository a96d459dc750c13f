"""Pol.is's consensus and repness formulas on small counts, with the numbers worked by hand."""

import math

import numpy as np
import pytest

from commonground import engine

SQRT5 = math.sqrt(5)


def test_it_computes_the_one_proportion_test_with_its_plus_one_prior() -> None:
    # 3 agrees of 4 votes: (3+1)/(4+1) = 0.8, z = 2 * sqrt(5) * (0.8 - 0.5)
    assert engine.prop_test(3, 4) == pytest.approx(0.6 * SQRT5)
    # nothing seen: (0+1)/(0+1) = 1, z = 2 * 1 * 0.5
    assert engine.prop_test(0, 0) == pytest.approx(1.0)


def test_it_computes_the_two_proportion_test_against_the_other_groups() -> None:
    # in: 4/5 = 0.8, out: 2/5 = 0.4, pooled 6/10; z = 0.4 / sqrt(0.6 * 0.4 * (1/5 + 1/5))
    assert engine.two_prop_test(3, 1, 4, 4) == pytest.approx(0.4 / math.sqrt(0.096))
    # every vote a success on both sides: Pol.is answers 0 rather than dividing by zero
    assert engine.two_prop_test(4, 4, 4, 4) == 0.0


# Two groups, three statements. Group A: s0 4 agree of 4, s1 3 agree 1 disagree, s2 unseen.
# Group B: s0 4 disagree of 4, s1 3 agree 1 pass, s2 2 agree 2 disagree.
AGREE = np.array([[4, 3, 0], [0, 3, 2]], dtype=float)
DISAGREE = np.array([[0, 1, 0], [4, 0, 2]], dtype=float)
SEEN = np.array([[4, 4, 0], [4, 4, 4]], dtype=float)
IDS = ["s0", "s1", "s2"]


def test_it_computes_repness_stats_as_pol_is_does() -> None:
    a, b = engine.repness_stats(AGREE, DISAGREE, SEEN)
    z_08_vs_02 = 0.8 / math.sqrt(0.6 * 0.4 * 0.4)  # (5/5 - 1/5) / sqrt(pooled 6/10 ...)
    # Group A on s0: pa = 5/6, pat = 2 sqrt(5) (5/5 - 1/2), rest agree (0+1)/(4+2) -> ra = 5
    assert a["pa"][0] == pytest.approx(5 / 6)
    assert a["pat"][0] == pytest.approx(SQRT5)
    assert a["ra"][0] == pytest.approx(5.0)
    assert a["rat"][0] == pytest.approx(z_08_vs_02)
    assert a["rd"][0] == pytest.approx(0.2)
    assert a["rdt"][0] == pytest.approx(-z_08_vs_02)
    # Group A on s1: same agree share as B, so ra = 1 and rat = 0; disagree 2/6 vs 1/6 -> rd = 2
    assert a["ra"][1] == pytest.approx(1.0)
    assert a["rat"][1] == pytest.approx(0.0)
    assert a["rd"][1] == pytest.approx(2.0)
    assert a["rdt"][1] == pytest.approx(0.2 / math.sqrt(0.3 * 0.7 * 0.4))
    # Group B on s2 against nothing seen by A: in 3/5, out 1/1, pooled 4/6
    assert b["pa"][2] == pytest.approx(0.5)
    assert b["pat"][2] == pytest.approx(0.2 * SQRT5)
    assert b["rat"][2] == pytest.approx(-0.4 / math.sqrt((4 / 6) * (2 / 6) * 1.2))


def test_it_selects_representative_statements_as_pol_is_does() -> None:
    a, b = engine.repness_stats(AGREE, DISAGREE, SEEN)
    rep_a = engine.select_rep_statements(a, IDS)
    # s0 is significant for A (rat 2.58 and pat 2.24 > 1.2816) and is also A's best agree.
    assert [(r.statement, r.repful_for, r.best_agree) for r in rep_a] == [("s0", "agree", True)]
    assert engine._metric(rep_a[0]) == pytest.approx(5 * (0.8 / math.sqrt(0.096)) * (5 / 6) * SQRT5)
    rep_b = engine.select_rep_statements(b, IDS)
    # B's only significant statement is s0 (disagree); its best agree, s1 (pat = 0.6 sqrt 5 =
    # 1.34 > 1.2816), goes in front, and agrees come before disagrees.
    assert [(r.statement, r.repful_for) for r in rep_b] == [("s1", "agree"), ("s0", "disagree")]
    assert rep_b[0].best_agree


def test_it_selects_consensus_over_everyone() -> None:
    stats = engine.comment_stats(AGREE.sum(0), DISAGREE.sum(0), SEEN.sum(0))
    # s1: 6 agree of 8 -> pa = 7/10 > 0.5 and pat = 2 * 3 * (7/9 - 1/2) = 1.67 > 1.2816.
    # s0: 4 of 8 either way -> pa = pd = 1/2, not above one half.
    assert stats["pat"][1] == pytest.approx(6 * (7 / 9 - 0.5))
    assert engine.select_consensus(stats, IDS) == (["s1"], [])


def test_it_computes_group_aware_consensus_as_a_product_over_groups() -> None:
    gac = engine.group_aware_consensus(AGREE, SEEN)
    # s0: (4+1)/(4+2) * (0+1)/(4+2); s1: 4/6 * 4/6; s2: (0+1)/(0+2) * (2+1)/(4+2)
    assert gac == pytest.approx([5 / 36, 16 / 36, 0.25])
