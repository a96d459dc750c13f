"""`commonweal decide tally PATH [--method M] [--seats N]`: count a ballot file, print JSON.

Runs without Django settings or a database (commonweal/cli.py hands the arguments here
before Django starts), so a paper count can be checked on any machine with the package.
Exactly one JSON object goes to stdout; messages go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import METHODS, decide
from .base import DecideError, Outcome
from .formats import Election, load

ALIASES = {
    "beat-path": "schulze",
    "rankedpairs": "ranked-pairs",
    "tideman": "ranked-pairs",
    "instant-runoff": "irv",
    "rcv": "irv",
    "scottish-stv": "stv",
    "mes": "equal-shares",
    "equalshares": "equal-shares",
    "seq-phragmen": "phragmen",
    "seqphragmen": "phragmen",
    "av": "approval",
}


def method_for_rule(rule: str) -> tuple[str, str | None]:
    """A Pabulib META rule (`greedy`, `equalshares`, `equalshares/add1`...) as (method, completion)."""
    r = rule.strip().lower().replace("_", "").replace("-", "")
    if "equalshares" in r or r.startswith("mes"):
        if "add1u" in r or ("add1" in r and ("greedy" in r or "util" in r)):
            return "equal-shares", "add1-greedy"
        return "equal-shares", "add1" if "add1" in r else None
    return "greedy", None


def tally(
    election: Election, *, method: str | None, seats: int | None, completion: str | None
) -> Outcome:
    chosen_completion: str | None = completion
    if method is None:
        if election.costs is not None:
            method, rule_completion = method_for_rule(election.rule)
            chosen_completion = completion or rule_completion
        else:
            method = "stv" if (seats or 1) > 1 else "schulze"
    method = ALIASES.get(method.lower(), method.lower())
    if method not in METHODS:
        raise DecideError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    if method == "equal-shares" and completion is None and chosen_completion is None:
        chosen_completion = "add1" if not election.rule else method_for_rule(election.rule)[1]
    return decide(
        method,
        election.candidates,
        election.ballots,
        seats=seats or 1,
        costs=election.costs,
        budget=election.budget,
        completion=None if chosen_completion == "none" else chosen_completion,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="commonweal decide", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("tally", help="count a PrefLib (.soc/.soi/.toc/.toi) or Pabulib (.pb) file")
    t.add_argument("path")
    t.add_argument("--method", help=f"one of: {', '.join(METHODS)}")
    t.add_argument("--seats", type=int, help="seats to fill (STV and committee methods)")
    t.add_argument(
        "--completion",
        choices=["add1", "add1-greedy", "none"],
        help="how Method of Equal Shares spends what is left (default: the file's rule, else add1)",
    )
    t.add_argument("--details", action="store_true", help="include rounds and details")
    args = parser.parse_args(argv)
    try:
        election = load(args.path)
        outcome = tally(election, method=args.method, seats=args.seats, completion=args.completion)
    except DecideError as exc:
        print(f"decide tally: {exc}", file=sys.stderr)
        print(json.dumps({"error": str(exc)}))
        return 1
    result: dict[str, Any] = outcome.summary()
    result["voters"] = election.voters
    if args.seats:
        result["seats"] = args.seats
    if args.details:
        result["rounds"] = outcome.rounds
        result["details"] = outcome.details
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
