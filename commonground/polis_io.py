"""Reading and writing the Pol.is open-data CSV exports (votes.csv, comments.csv,
participants-votes.csv). No Django: the CLI, the hub and the benchmarks share it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from commonground.engine import VoteMatrix, admitted_over_time, vote_matrix_from_triples
from commonweal.lib import csvsafe

VOTES_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
COMMENTS_COLUMNS = (
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
)


class PolisFormatError(ValueError):
    """A Pol.is CSV that cannot be read; the message names the file, line and column."""


@dataclass
class Comment:
    statement_id: str
    author_id: str
    text: str
    moderated: int  # 1 accepted, 0 not yet moderated, -1 moderated out
    timestamp: int | None = None


def _open(source: str | Path | IO[str]) -> tuple[IO[str], str, bool]:
    if isinstance(source, str | Path):
        return open(source, newline="", encoding="utf-8-sig"), str(source), True  # noqa: SIM115
    return source, getattr(source, "name", "input"), False


def _reader(handle: IO[str], name: str, required: Iterable[str]) -> csv.DictReader:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise PolisFormatError(
            f"{name}: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}"
        )
    return reader


@dataclass
class VoteLog:
    """A votes.csv in time order: one (voter, comment, vote) per line of the log."""

    voters: list[str]
    comments: list[str]
    votes: list[int]

    def matrix(self) -> VoteMatrix:
        """The votes as they stand at the end of the log (last vote wins)."""
        return vote_matrix_from_triples(self.voters, self.comments, self.votes)

    def admitted(self, matrix: VoteMatrix, min_votes: int = 7) -> np.ndarray:
        """Participants Pol.is's vote rule let onto the map at some point of the log."""
        row_of = {p: i for i, p in enumerate(matrix.participants)}
        col_of = {s: j for j, s in enumerate(matrix.statements)}
        rows = np.fromiter((row_of[v] for v in self.voters), np.int64, len(self.voters))
        cols = np.fromiter((col_of[c] for c in self.comments), np.int64, len(self.comments))
        return admitted_over_time(rows, cols, len(matrix.participants), min_votes=min_votes)


def read_votes(source: str | Path | IO[str]) -> VoteMatrix:
    """Read a Pol.is votes.csv (the full vote log) into the final vote matrix."""
    return read_vote_log(source).matrix()


def read_vote_log(source: str | Path | IO[str]) -> VoteLog:
    """Read a Pol.is votes.csv as a time-ordered log. Later votes replace earlier ones.

    Only comment-id, voter-id and vote are required; with a timestamp column the log is put in
    time order first, otherwise file order is taken as time order.
    """
    handle, name, close = _open(source)
    try:
        reader = _reader(handle, name, ("comment-id", "voter-id", "vote"))
        has_time = "timestamp" in (reader.fieldnames or [])
        voters: list[str] = []
        comments: list[str] = []
        values: list[int] = []
        times: list[int] = []
        for row in reader:
            line = reader.line_num
            voter = (row.get("voter-id") or "").strip()
            comment = (row.get("comment-id") or "").strip()
            raw = (row.get("vote") or "").strip()
            if not voter:
                raise PolisFormatError(f"{name} line {line}: voter-id is empty")
            if not comment:
                raise PolisFormatError(f"{name} line {line}: comment-id is empty")
            try:
                vote = int(float(raw))
            except ValueError:
                raise PolisFormatError(
                    f"{name} line {line}: vote {raw!r} is not -1, 0 or 1"
                ) from None
            if vote not in (-1, 0, 1):
                raise PolisFormatError(f"{name} line {line}: vote {raw!r} is not -1, 0 or 1")
            if has_time:
                try:
                    times.append(int(float(row.get("timestamp") or 0)))
                except ValueError:
                    raise PolisFormatError(
                        f"{name} line {line}: timestamp {row.get('timestamp')!r} is not a number"
                    ) from None
            voters.append(voter)
            comments.append(comment)
            values.append(vote)
    finally:
        if close:
            handle.close()
    if has_time:
        order = np.argsort(np.asarray(times, dtype=np.int64), kind="stable")
        voters = [voters[i] for i in order]
        comments = [comments[i] for i in order]
        values = [values[i] for i in order]
    return VoteLog(voters, comments, values)


def read_comments(source: str | Path | IO[str]) -> dict[str, Comment]:
    """Read a Pol.is comments.csv into {statement id: Comment}."""
    handle, name, close = _open(source)
    try:
        reader = _reader(handle, name, ("comment-id", "moderated"))
        out: dict[str, Comment] = {}
        for row in reader:
            line = reader.line_num
            sid = (row.get("comment-id") or "").strip()
            if not sid:
                raise PolisFormatError(f"{name} line {line}: comment-id is empty")
            raw = (row.get("moderated") or "0").strip() or "0"
            try:
                moderated = int(float(raw))
            except ValueError:
                raise PolisFormatError(
                    f"{name} line {line}: moderated {raw!r} is not -1, 0 or 1"
                ) from None
            stamp = (row.get("timestamp") or "").strip()
            out[sid] = Comment(
                statement_id=sid,
                author_id=(row.get("author-id") or "").strip(),
                text=row.get("comment-body") or "",
                moderated=moderated,
                timestamp=int(float(stamp)) if stamp else None,
            )
        return out
    finally:
        if close:
            handle.close()


def moderated_out(comments: dict[str, Comment]) -> set[str]:
    """Statements a moderator removed; Pol.is zeroes them out of the math."""
    return {sid for sid, c in comments.items() if c.moderated < 0}


def read_participant_groups(source: str | Path | IO[str]) -> dict[str, int | None]:
    """Read Pol.is's own group per participant from participants-votes.csv."""
    handle, name, close = _open(source)
    try:
        reader = _reader(handle, name, ("participant", "group-id"))
        out: dict[str, int | None] = {}
        for row in reader:
            gid = (row.get("group-id") or "").strip()
            out[(row.get("participant") or "").strip()] = int(gid) if gid else None
        return out
    finally:
        if close:
            handle.close()


def write_votes(rows: Iterable[dict[str, Any]], target: IO[str] | None = None) -> str:
    """Write a votes.csv from dicts with timestamp, comment_id, voter_id and vote.

    `datetime` may be given; it is left empty otherwise. Returns the text when no target is given.
    """
    out = target or io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(VOTES_COLUMNS)
    for r in rows:
        writer.writerow(
            [r["timestamp"], r.get("datetime", ""), r["comment_id"], r["voter_id"], r["vote"]]
        )
    return out.getvalue() if isinstance(out, io.StringIO) else ""


def write_comments(comments: Iterable[dict[str, Any]], target: IO[str] | None = None) -> str:
    """Write a comments.csv from dicts with the Pol.is fields (underscored names)."""
    out = target or io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(COMMENTS_COLUMNS)
    for c in comments:
        writer.writerow(
            [
                c.get("timestamp", ""),
                c.get("datetime", ""),
                c["comment_id"],
                c.get("author_id", ""),
                c.get("agrees", 0),
                c.get("disagrees", 0),
                c.get("moderated", 0),
                c.get("comment_body", ""),
            ]
        )
    return out.getvalue() if isinstance(out, io.StringIO) else ""
