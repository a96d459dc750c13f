"""Yes/no decisions, counted without Django: consent with objections and blocks, simple and
qualified majority, and the double majority of people and member groups.

Each function takes plain counts and returns a `Motion` that says whether the motion passed
and, as honestly as the numbers allow, why or why not: a quorum not met, a tie, a block still
waiting for its answer. The results page reads `reason` and never guesses beyond it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

# Reasons a page turns into words (assemblies/templatetags or the view translate them).
PASSED = "passed"
FAILED = "failed"
TIE = "tie"
NO_QUORUM = "no_quorum"
NO_GROUP_QUORUM = "no_group_quorum"
BLOCKED = "blocked"
BLOCK_UNANSWERED = "block_unanswered"
NO_VOTES = "no_votes"
PEOPLE_FAILED = "people_failed"
GROUPS_FAILED = "groups_failed"

POSITIONS_CONSENT = ("consent", "objection", "stand_aside", "block")
POSITIONS_MAJORITY = ("yes", "no", "abstain")


@dataclass(frozen=True)
class Tally:
    """Yes, no and abstain for one electorate (people, or groups with their weights)."""

    yes: int = 0
    no: int = 0
    abstain: int = 0

    @property
    def voting(self) -> int:
        return self.yes + self.no

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain

    def share(self) -> Fraction | None:
        """Share of yes among those who took a side; None when nobody did."""
        return Fraction(self.yes, self.voting) if self.voting else None


@dataclass
class Motion:
    passed: bool
    reason: str
    tie: bool = False
    people: Tally | None = None
    groups: Tally | None = None
    counts: dict[str, int] = field(default_factory=dict)
    blocks_standing: int = 0
    blocks_unanswered: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def tally_of(positions: Iterable[tuple[str, int]]) -> Tally:
    """A Tally from (position, weight) pairs; unknown positions count as abstentions."""
    yes = no = abstain = 0
    for position, weight in positions:
        if position == "yes":
            yes += weight
        elif position == "no":
            no += weight
        else:
            abstain += weight
    return Tally(yes, no, abstain)


def passes(tally: Tally, threshold: Fraction) -> tuple[bool, bool]:
    """(passed, tie) under a threshold: 1/2 means more yes than no; a higher one (2/3) means
    at least that share of yes among yes and no. Abstentions never count either way."""
    share = tally.share()
    if share is None:
        return False, False
    if threshold <= Fraction(1, 2):
        return share > Fraction(1, 2), tally.yes == tally.no
    return share >= threshold, False


def majority(tally: Tally, *, threshold: Fraction = Fraction(1, 2), quorum: int = 0) -> Motion:
    """Simple majority (threshold 1/2: more yes than no) or qualified (e.g. 2/3, reached or
    passed). Quorum counts every ballot, abstentions included, as a quorum of presence does."""
    if tally.total == 0:
        return Motion(False, NO_VOTES, people=tally)
    if tally.total < quorum:
        return Motion(False, NO_QUORUM, people=tally)
    ok, tie = passes(tally, threshold)
    if tie:
        return Motion(False, TIE, tie=True, people=tally)
    return Motion(ok, PASSED if ok else FAILED, people=tally)


def double_majority(
    people: Tally,
    groups: Tally,
    *,
    threshold: Fraction = Fraction(1, 2),
    quorum: int = 0,
    group_quorum: int = 0,
) -> Motion:
    """Passes only with a majority of the people voting and a majority of the member groups
    (each group's weight already in `groups`). Both tallies are always returned."""
    if people.total == 0 and groups.total == 0:
        return Motion(False, NO_VOTES, people=people, groups=groups)
    if people.total < quorum:
        return Motion(False, NO_QUORUM, people=people, groups=groups)
    if groups.total < group_quorum:
        return Motion(False, NO_GROUP_QUORUM, people=people, groups=groups)
    people_ok, people_tie = passes(people, threshold)
    groups_ok, groups_tie = passes(groups, threshold)
    if people_ok and groups_ok:
        return Motion(True, PASSED, people=people, groups=groups)
    tie = (people_tie and not people_ok) or (groups_tie and not groups_ok)
    if tie:
        reason = TIE
    elif not people_ok:
        reason = PEOPLE_FAILED
    else:
        reason = GROUPS_FAILED
    return Motion(False, reason, tie=tie, people=people, groups=groups)


@dataclass(frozen=True)
class Block:
    answered: bool


def consent(counts: dict[str, int], blocks: Iterable[Block], *, quorum: int = 0) -> Motion:
    """Consent (sociocracy): it passes when enough took part and no block stands. Objections
    are recorded and shown but do not stop it; standing aside is taking part. A block stops it,
    and one nobody has answered yet is reported as such, because it must be answered first."""
    counts = {p: int(counts.get(p, 0)) for p in POSITIONS_CONSENT}
    standing = list(blocks)
    unanswered = sum(1 for b in standing if not b.answered)
    total = sum(counts.values())
    common: dict[str, Any] = {
        "counts": counts,
        "blocks_standing": len(standing),
        "blocks_unanswered": unanswered,
    }
    if total == 0:
        return Motion(False, NO_VOTES, **common)
    if unanswered:
        return Motion(False, BLOCK_UNANSWERED, **common)
    if standing:
        return Motion(False, BLOCKED, **common)
    if total < quorum:
        return Motion(False, NO_QUORUM, **common)
    return Motion(True, PASSED, **common)
