"""The shapes every counting method shares: a ballot, an outcome, the error for bad input.

Nothing here imports Django, so the same code counts the hub's own ballots, runs in the
`commonweal decide tally` command before any database exists, and can be checked against
the research libraries in a plain Python process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class DecideError(ValueError):
    """Input a method cannot count (unknown method, a ballot naming no candidate...).

    The message is plain English meant for the person who supplied the input; the app
    translates its own wording around it.
    """


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot, or `weight` identical ones.

    Which fields a method reads depends on the method:

    - `ranking`: tie groups, best first: `(("a",), ("b", "c"), ("d",))` ranks a first, b and
      c equal second, d last. Candidates a voter left out are below every ranked one.
    - `approvals`: the candidates (or projects) the voter supports.
    - `scores`: score or cumulative points per candidate (absent means 0).
    - `weight`: how many voters cast this very ballot (aggregating identical ballots is how a
      million-ballot count stays fast), or the weight of a member group's vote.
    """

    ranking: tuple[tuple[str, ...], ...] = ()
    approvals: frozenset[str] = frozenset()
    scores: Mapping[str, Decimal] = field(default_factory=dict)
    weight: int = 1

    @classmethod
    def ranked(cls, *order: str | Iterable[str], weight: int = 1) -> Ballot:
        """`Ballot.ranked("a", {"b", "c"}, "d")`: a string is one candidate, a set a tie group."""
        groups: list[tuple[str, ...]] = []
        for item in order:
            groups.append((item,) if isinstance(item, str) else tuple(sorted(item)))
        return cls(ranking=tuple(groups), weight=weight)

    @classmethod
    def approving(cls, *candidates: str, weight: int = 1) -> Ballot:
        return cls(approvals=frozenset(candidates), weight=weight)

    @classmethod
    def scoring(cls, scores: Mapping[str, Decimal | int], weight: int = 1) -> Ballot:
        return cls(scores={k: Decimal(v) for k, v in scores.items()}, weight=weight)

    def ranked_candidates(self) -> list[str]:
        return [c for group in self.ranking for c in group]

    def supported(self) -> frozenset[str]:
        """Whom this ballot supports at all: approved, given points, or ranked."""
        if self.approvals:
            return self.approvals
        if self.scores:
            return frozenset(c for c, s in self.scores.items() if s > 0)
        return frozenset(self.ranked_candidates())


@dataclass
class Outcome:
    """What a count decided, with enough detail for a results page to show how.

    - `winners`: in order of election or selection.
    - `ranking`: a full order of the candidates where the method gives one (else winners).
    - `tie`: True only when the outcome depended on breaking a tie (`tie_note` says which).
    - `rounds`: one dict per round or stage (STV/IRV counts and transfers, greedy and MES
      selections with payments), in order.
    - `details`: method-wide figures: the pairwise matrix and path strengths (Schulze, ranked
      pairs), totals per candidate, quota, budget spent...
    """

    method: str
    winners: list[str]
    ranking: list[str] = field(default_factory=list)
    tie: bool = False
    tie_note: str = ""
    rounds: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON object `commonweal decide tally` prints (winners as strings)."""
        out: dict[str, Any] = {
            "method": self.method,
            "winners": [str(w) for w in self.winners],
            "ranking": [str(c) for c in self.ranking],
            "tie": self.tie,
        }
        if self.tie_note:
            out["tie_note"] = self.tie_note
        return out


def check_candidates(candidates: Sequence[str]) -> list[str]:
    """Candidate ids as a list, refusing duplicates (they would double-count silently)."""
    ids = [str(c) for c in candidates]
    if len(set(ids)) != len(ids):
        raise DecideError("The same candidate appears twice in the list of candidates.")
    if not ids:
        raise DecideError("There are no candidates to choose from.")
    return ids


def check_ballots(ballots: Sequence[Ballot], candidates: Sequence[str]) -> None:
    """Every ballot names only known candidates and carries a positive whole weight."""
    known = set(candidates)
    for ballot in ballots:
        if not isinstance(ballot.weight, int) or ballot.weight < 0:
            raise DecideError("A ballot's weight must be a whole number, zero or more.")
        named = set(ballot.ranked_candidates()) | ballot.approvals | set(ballot.scores)
        unknown = named - known
        if unknown:
            raise DecideError(f"A ballot names unknown candidate(s): {', '.join(sorted(unknown))}.")
        if len(ballot.ranked_candidates()) != len(set(ballot.ranked_candidates())):
            raise DecideError("A ballot ranks the same candidate twice.")
