"""What may be called common ground at all, and what would help when nothing can yet.

Ranking statements by group-aware consensus or by bridging score always yields a top of the
list, even in a conversation split down the middle, where the "top" statement is one that half
the room rejects. Pol.is only calls a statement consensus past its thresholds (a majority,
p > 0.5, significant at 90% by its one-sided proportion test); here the same test must hold
inside *every* opinion group, in the same direction, and each group must have cast enough votes
on it. Only statements that pass may be listed as common ground or as bridging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from commonground.engine.polis_stats import Z_90, prop_test

# Fewer votes than this inside a group tell nothing about that group: with Pol.is's +1 prior a
# single agreeing voter already passes the 90% test, so a floor is needed on top of it.
MIN_GROUP_VOTES = 3
# Below this many statements a conversation has had little chance to find anything shared.
FEW_STATEMENTS = 6

AGREE, DIVIDED, SHORT, DISAGREE = "agree", "divided", "short", "disagree"


def leanings(
    agree: ArrayLike,
    disagree: ArrayLike,
    seen: ArrayLike,
    *,
    min_votes: int = MIN_GROUP_VOTES,
) -> list[str]:
    """Per statement (columns of groups x statements counts; `seen` includes passes):

    - "agree" / "disagree": every group's majority leans that way, significantly, with at least
      `min_votes` votes in each group;
    - "divided": some group's majority agrees while another's disagrees;
    - "short": neither yet (groups lean alike or not at all, but without enough votes).
    """
    a, d, n = (np.atleast_2d(np.asarray(x, dtype=float)) for x in (agree, disagree, seen))
    enough = n >= min_votes
    # Pol.is's smoothed shares: passes count in the denominator, so a majority means more than
    # half of everyone in the group who saw the statement.
    pa = (1 + a) / (2 + n)
    pd = (1 + d) / (2 + n)
    sure_agree = enough & (pa > 0.5) & (prop_test(a, n) > Z_90)
    sure_disagree = enough & (pd > 0.5) & (prop_test(d, n) > Z_90)
    # A group "leans" by its raw majority, sure or not, to tell a split from a shortfall.
    leans_agree = (a > d) & (a > 0)
    leans_disagree = (d > a) & (d > 0)
    out = []
    for j in range(a.shape[1]):
        if sure_agree[:, j].all():
            out.append(AGREE)
        elif sure_disagree[:, j].all():
            out.append(DISAGREE)
        elif leans_agree[:, j].any() and leans_disagree[:, j].any():
            out.append(DIVIDED)
        else:
            out.append(SHORT)
    return out


@dataclass(frozen=True)
class CommonGround:
    agree: list[str]  # statement ids every group agrees with, best first
    disagree: list[str]  # statement ids every group rejects, best first
    bridging: list[str]  # agreed statements ordered by bridging score
    short_of_votes: int  # statements that may yet become common ground with more votes
    divided: int  # statements on which the groups' majorities disagree
    statements: int  # statements considered

    @property
    def found(self) -> bool:
        return bool(self.agree or self.disagree)

    @property
    def needs_more_statements(self) -> bool:
        """Every statement splits the groups, or there are too few to go on."""
        return self.statements < FEW_STATEMENTS or self.divided == self.statements

    def to_json(self, limit: int | None = None) -> dict[str, Any]:
        return {
            "agree": self.agree[:limit],
            "disagree": self.disagree[:limit],
            "bridging": self.bridging[:limit],
            "short_of_votes": self.short_of_votes,
            "divided": self.divided,
            "statements": self.statements,
            "min_group_votes": MIN_GROUP_VOTES,
        }


def find_common_ground(
    statement_ids: Sequence[str],
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    *,
    consensus_score: dict[str, float],
    bridging_score: dict[str, float],
    min_votes: int = MIN_GROUP_VOTES,
) -> CommonGround:
    """Gate the statements (columns of the counts, in `statement_ids` order) and order those
    that pass: agreed ones by group-aware consensus and again by bridging score, rejected ones
    by how few agreed in the group that agreed most."""
    kinds = leanings(agree, disagree, seen, min_votes=min_votes)
    agreed = [sid for sid, k in zip(statement_ids, kinds, strict=True) if k == AGREE]
    col = {sid: j for j, sid in enumerate(statement_ids)}
    seen2 = np.atleast_2d(np.asarray(seen, dtype=float))
    agree2 = np.atleast_2d(np.asarray(agree, dtype=float))
    rejected = [sid for sid, k in zip(statement_ids, kinds, strict=True) if k == DISAGREE]
    rejected.sort(
        key=lambda sid: float(((agree2[:, col[sid]] + 1) / (seen2[:, col[sid]] + 2)).max())
    )
    return CommonGround(
        agree=sorted(agreed, key=lambda sid: -consensus_score.get(sid, 0.0)),
        disagree=rejected,
        bridging=sorted(agreed, key=lambda sid: -bridging_score.get(sid, 0.0)),
        short_of_votes=kinds.count(SHORT),
        divided=kinds.count(DIVIDED),
        statements=len(kinds),
    )
