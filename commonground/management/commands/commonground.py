"""`commonweal commonground analyze VOTES.csv [--comments COMMENTS.csv] --json OUT.json`

Reads a Pol.is open-data votes.csv (and optionally comments.csv, whose moderated-out statements
are left out of the math) and writes:

    {"participants": {voter_id: group_or_null}, "groups": [group ids],
     "consensus": [statement ids, best first: most agreed, then most disagreed],
     "group_aware_consensus": [statement ids, best first],
     "repness": {group: [statement ids]}, "bridging": {statement_id: score}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commonground import engine, polis_io


class Command(BaseCommand):
    help = "Find opinion groups and common ground in a Pol.is vote export."
    # Works on files only; it needs neither the database nor the URL configuration.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        analyze = sub.add_parser("analyze", help="analyze a Pol.is votes.csv")
        analyze.add_argument("votes", type=Path, help="Pol.is votes.csv")
        analyze.add_argument("--comments", type=Path, help="Pol.is comments.csv (moderation)")
        analyze.add_argument("--json", type=Path, required=True, dest="out", help="output file")
        analyze.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "analyze":
            self._analyze(options["votes"], options["comments"], options["out"], options["seed"])

    def _analyze(self, votes_path: Path, comments_path: Path | None, out: Path, seed: int) -> None:
        for label, path in (("votes", votes_path), ("comments", comments_path)):
            if path is not None and not path.is_file():
                raise CommandError(f"{label} file not found: {path}")
        try:
            log = polis_io.read_vote_log(votes_path)
            mod_out = (
                polis_io.moderated_out(polis_io.read_comments(comments_path))
                if comments_path
                else set()
            )
        except (polis_io.PolisFormatError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from None
        if not log.votes:
            raise CommandError(f"{votes_path}: no votes")
        votes = log.matrix()
        result = engine.analyze(votes, mod_out=mod_out, seed=seed, already_in=log.admitted(votes))
        out.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n")
        kept = int(result.in_conv.sum())
        self.stdout.write(
            f"{len(votes.participants)} participants ({kept} on the map), "
            f"{len(votes.statements)} statements, {result.n_groups} groups -> {out}"
        )
