"""Reads of conversations, limited to what the asker may see; results and exports."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from commonground import permissions, polis_io
from commonground.engine.common_ground import AGREE, DISAGREE, FEW_STATEMENTS, leanings
from commonground.models import (
    Analysis,
    Conversation,
    Participant,
    Statement,
    StatementState,
    Vote,
)
from commonweal.lib import csvsafe
from directory import permissions as directory_permissions

GROUP_LABELS = "ABCDEFGH"
# Colour-blind-safe (Okabe-Ito) colours, one per group.
GROUP_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
MAP_SIZE = 480
MAP_PAD = 24
MAX_DOTS = 4000


def conversations_for_user(user: Any) -> QuerySet[Conversation]:
    qs = Conversation.objects.select_related("organization", "call", "call__coalition")
    if directory_permissions.is_site_coordinator(user):
        return qs
    public = (
        Q(is_private=False) & ~Q(organization__is_hidden=True) & ~Q(call__coalition__is_hidden=True)
    )
    if not permissions.signed_in(user):
        return qs.filter(public)
    homes = permissions.member_home_ids(user)
    return qs.filter(
        public | Q(created_by=user) | Q(organization_id__in=homes) | Q(call__coalition_id__in=homes)
    )


def get_conversation_for_user(user: Any, pk: int, *, write: bool = False) -> Conversation:
    """The one access function for a conversation: 404 if unseen, 403 if `write` (moderate)
    is asked by someone who is not a moderator."""
    conversation = conversations_for_user(user).filter(pk=pk).first()
    if conversation is None or not permissions.can_see(user, conversation):
        raise Http404("No such conversation.")
    if write and not permissions.can_moderate(user, conversation):
        raise PermissionDenied("Only this conversation's moderators can do this.")
    return conversation


def get_statement_for_user(
    user: Any, conversation: Conversation, pk: int, *, write: bool = False
) -> Statement:
    qs = Statement.objects.filter(conversation=conversation, pk=pk)
    if not permissions.can_moderate(user, conversation):
        if write:
            raise PermissionDenied("Only this conversation's moderators can do this.")
        qs = qs.filter(state=StatementState.ACCEPTED)
    statement = qs.select_related("conversation").first()
    if statement is None:
        raise Http404("No such statement.")
    return statement


def conversations_attached(
    user: Any, *, organization_id: int | None = None, call_id: int | None = None
) -> list[Conversation]:
    qs = conversations_for_user(user)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if call_id is not None:
        qs = qs.filter(call_id=call_id)
    return list(qs.order_by("is_closed", "-created_at")[:10])


def participant_of(user: Any, conversation: Conversation) -> Participant | None:
    if not permissions.signed_in(user):
        return None
    return Participant.objects.filter(conversation=conversation, user=user).first()


def _spread(participant_pk: int, number: int) -> int:
    """A fixed per-person shuffle, so different people meet statements in different orders and
    every statement gathers votes, without counting votes on each request."""
    return zlib.crc32(f"{participant_pk}:{number}".encode())


def next_statement(user: Any, conversation: Conversation) -> Statement | None:
    """The next accepted statement the user has not voted on: seeds first, then a per-person
    order."""
    accepted = Statement.objects.filter(conversation=conversation, state=StatementState.ACCEPTED)
    participant = participant_of(user, conversation)
    if participant is None:
        return accepted.order_by("-is_seeded", "number").first()
    candidates = list(
        accepted.exclude(votes__participant=participant).values_list("pk", "number", "is_seeded")
    )
    if not candidates:
        return None
    pk, _, _ = min(candidates, key=lambda c: (not c[2], _spread(participant.pk, c[1])))
    return Statement.objects.get(pk=pk)


@dataclass
class Progress:
    voted: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.voted, 0)


def progress(user: Any, conversation: Conversation) -> Progress:
    total = Statement.objects.filter(
        conversation=conversation, state=StatementState.ACCEPTED
    ).count()
    participant = participant_of(user, conversation)
    voted = (
        Vote.objects.filter(
            participant=participant, statement__state=StatementState.ACCEPTED
        ).count()
        if participant
        else 0
    )
    return Progress(voted=voted, total=total)


def votes_of_user(user: Any, conversation: Conversation) -> list[Vote]:
    participant = participant_of(user, conversation)
    if participant is None:
        return []
    return list(
        Vote.objects.filter(participant=participant, statement__state=StatementState.ACCEPTED)
        .select_related("statement")
        .order_by("-updated_at", "-id")
    )


def own_pending(user: Any, conversation: Conversation) -> list[Statement]:
    participant = participant_of(user, conversation)
    if participant is None:
        return []
    return list(
        Statement.objects.filter(author=participant, state=StatementState.PENDING).order_by(
            "-created_at"
        )
    )


def moderation_queue(user: Any, conversation: Conversation) -> QuerySet[Statement]:
    if not permissions.can_moderate(user, conversation):
        raise PermissionDenied("Only this conversation's moderators can moderate.")
    return Statement.objects.filter(conversation=conversation, state=StatementState.PENDING)


def recently_moderated(user: Any, conversation: Conversation) -> list[Statement]:
    if not permissions.can_moderate(user, conversation):
        return []
    return list(
        Statement.objects.filter(conversation=conversation)
        .exclude(state=StatementState.PENDING)
        .order_by("-moderated_at", "-number")[:20]
    )


def latest_analysis(conversation: Conversation) -> Analysis | None:
    return (
        Analysis.objects.filter(conversation=conversation).order_by("-computed_at", "-id").first()
    )


def statement_counts(conversation: Conversation) -> dict[str, int]:
    rows = (
        Statement.objects.filter(conversation=conversation).values("state").annotate(n=Count("id"))
    )
    return {r["state"]: r["n"] for r in rows}


# Results ------------------------------------------------------------------------------------


@dataclass
class StatementLine:
    statement: Statement
    score: float | None = None
    label: str = ""
    # Per group: (label, colour, agree %, disagree %, seen)
    groups: list[tuple[str, str, int, int, int]] = field(default_factory=list)


@dataclass
class GroupView:
    label: str
    colour: str
    size: int
    represents: list[StatementLine]
    hull_points: str
    label_x: float
    label_y: float


@dataclass
class Dot:
    x: float
    y: float
    colour: str
    mine: bool


@dataclass
class Results:
    analysis: Analysis
    groups: list[GroupView]
    dots: list[Dot]
    dots_total: int
    bridging: list[StatementLine]
    consensus: list[StatementLine]
    divisive: list[StatementLine]
    on_map: int
    common: CommonGroundNote
    size: int = MAP_SIZE


@dataclass
class CommonGroundNote:
    """Why the common-ground lists are what they are, so the page can say what would help."""

    found: bool
    short_of_votes: int
    divided: int
    statements: int
    min_group_votes: int

    @property
    def needs_more_statements(self) -> bool:
        return self.statements < FEW_STATEMENTS or self.divided == self.statements


def _common_ground(data: dict[str, Any]) -> dict[str, Any]:
    """The gated lists; maps stored before the gate existed are gated here from their counts,
    so no old map goes on calling a divisive statement common ground."""
    if "common_ground" in data:
        return data["common_ground"]
    votes: dict[str, list[list[int]]] = data.get("group_votes", {})
    ranked = [item[0] for item in data.get("group_aware_consensus", [])]
    ranked += [item[0] for item in data.get("bridging", []) if item[0] not in ranked]
    ids = [sid for sid in ranked if votes.get(sid)]
    kinds = {}
    for sid in ids:
        a, d, seen = (list(x) for x in zip(*votes[sid], strict=True))
        kinds[sid] = leanings([[x] for x in a], [[x] for x in d], [[x] for x in seen])[0]
    by_bridging = [item[0] for item in data.get("bridging", [])]
    return {
        "agree": [sid for sid in ids if kinds[sid] == AGREE],
        "disagree": [sid for sid in ids if kinds[sid] == DISAGREE],
        "bridging": [sid for sid in by_bridging if kinds.get(sid) == AGREE],
        "short_of_votes": sum(1 for k in kinds.values() if k == "short"),
        "divided": sum(1 for k in kinds.values() if k == "divided"),
        "statements": int(data.get("n_statements", len(ids))),
        "min_group_votes": 3,
    }


def _pct(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def results(user: Any, conversation: Conversation, analysis: Analysis) -> Results:
    """Everything the results page draws, with statement texts resolved. Only accepted
    statements are named; a statement rejected after the map was made drops out of the lists."""
    data = analysis.result
    groups = data.get("groups", [])
    n_groups = len(groups)
    texts = {
        str(s.pk): s
        for s in Statement.objects.filter(conversation=conversation, state=StatementState.ACCEPTED)
    }
    group_votes: dict[str, list[list[int]]] = data.get("group_votes", {})

    def line(sid: str, score: float | None = None, label: str = "") -> StatementLine | None:
        statement = texts.get(sid)
        if statement is None:
            return None
        per_group = [
            (
                GROUP_LABELS[g % len(GROUP_LABELS)],
                GROUP_COLOURS[g % len(GROUP_COLOURS)],
                _pct(a, seen),
                _pct(d, seen),
                seen,
            )
            for g, (a, d, seen) in enumerate(group_votes.get(sid, []))
        ]
        return StatementLine(statement, score, label, per_group)

    def lines(items: list[Any], limit: int = 6) -> list[StatementLine]:
        out = []
        for item in items:
            sid, score = (item, None) if isinstance(item, str) else (item[0], item[1])
            made = line(sid, score)
            if made is not None:
                out.append(made)
            if len(out) >= limit:
                break
        return out

    # Fit every point (and hull) into the square picture, keeping the aspect ratio.
    points = data.get("participants", [])
    xs = [p[1] for p in points] or [0.0]
    ys = [p[2] for p in points] or [0.0]
    lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
    span = max(hi_x - lo_x, hi_y - lo_y) or 1.0
    inner = MAP_SIZE - 2 * MAP_PAD

    def fit(x: float, y: float) -> tuple[float, float]:
        return (
            round(
                MAP_PAD + (x - lo_x) / span * inner + (inner - (hi_x - lo_x) / span * inner) / 2, 1
            ),
            round(
                MAP_PAD + (hi_y - y) / span * inner + (inner - (hi_y - lo_y) / span * inner) / 2, 1
            ),
        )

    me = participant_of(user, conversation)
    mine = str(me.pk) if me else None
    # Very large conversations: draw an even sample of dots, but always the viewer's own.
    stride = max(1, len(points) // MAX_DOTS)
    dots = []
    for i, (pid, x, y, g) in enumerate(points):
        if i % stride and pid != mine:
            continue
        sx, sy = fit(x, y)
        colour = GROUP_COLOURS[g % len(GROUP_COLOURS)] if g >= 0 else "#888888"
        dots.append(Dot(sx, sy, colour, pid == mine))

    views = []
    for g, grp in enumerate(groups):
        hull = [fit(x, y) for x, y in grp.get("hull", [])]
        cx, cy = fit(*grp.get("center", [0, 0]))
        reps = []
        for r in data.get("repness", {}).get(str(g), []):
            made = line(r["statement"], r.get("repness"), r["repful_for"])
            if made is not None:
                reps.append(made)
        views.append(
            GroupView(
                label=GROUP_LABELS[g % len(GROUP_LABELS)],
                colour=GROUP_COLOURS[g % len(GROUP_COLOURS)],
                size=int(grp.get("size", 0)),
                represents=reps[:5],
                hull_points=" ".join(f"{x},{y}" for x, y in hull),
                label_x=cx,
                label_y=cy,
            )
        )
    common = _common_ground(data)
    agreed = [made for sid in common["agree"] if (made := line(sid, label="all-agree"))]
    rejected = [made for sid in common["disagree"] if (made := line(sid, label="all-disagree"))]
    note = CommonGroundNote(
        found=bool(agreed or rejected),
        short_of_votes=int(common.get("short_of_votes", 0)),
        divided=int(common.get("divided", 0)),
        statements=int(common.get("statements", 0)),
        min_group_votes=int(common.get("min_group_votes", 3)),
    )
    return Results(
        analysis=analysis,
        groups=views,
        dots=dots,
        dots_total=len(points),
        bridging=lines(common["bridging"]),
        consensus=(agreed[:4] + rejected[:2]) if agreed else rejected[:6],
        divisive=lines(data.get("divisive", [])) if n_groups >= 2 else [],
        on_map=len(points),
        common=note,
    )


# Exports (Pol.is open-data format) -----------------------------------------------------------


def _require_export(user: Any, conversation: Conversation) -> None:
    if not permissions.can_moderate(user, conversation):
        raise PermissionDenied("Only this conversation's moderators can export its votes.")


def _ms(when: Any) -> int:
    return int(when.timestamp() * 1000)


def export_votes(user: Any, conversation: Conversation) -> str:
    """votes.csv: one line per current vote, voters by their per-conversation number."""
    _require_export(user, conversation)
    rows = (
        Vote.objects.filter(conversation=conversation)
        .order_by("updated_at", "id")
        .values_list("updated_at", "statement__number", "participant__number", "value")
    )
    return polis_io.write_votes(
        {
            "timestamp": _ms(when),
            "datetime": when.strftime("%a %b %d %H:%M:%S UTC %Y"),
            "comment_id": number,
            "voter_id": voter,
            "vote": value,
        }
        for when, number, voter, value in rows.iterator(chunk_size=5000)
    )


_MODERATED = {StatementState.ACCEPTED: 1, StatementState.PENDING: 0, StatementState.REJECTED: -1}


def export_comments(user: Any, conversation: Conversation) -> str:
    _require_export(user, conversation)
    statements = (
        Statement.objects.filter(conversation=conversation)
        .select_related("author")
        .annotate(
            agrees=Count("votes", filter=Q(votes__value=1)),
            disagrees=Count("votes", filter=Q(votes__value=-1)),
        )
        .order_by("-created_at", "-number")
    )
    return polis_io.write_comments(
        {
            "timestamp": _ms(s.created_at),
            "datetime": s.created_at.strftime("%a %b %d %H:%M:%S UTC %Y"),
            "comment_id": s.number,
            "author_id": s.author.number if s.author else "",
            "agrees": s.agrees,  # type: ignore[attr-defined]
            "disagrees": s.disagrees,  # type: ignore[attr-defined]
            "moderated": _MODERATED[StatementState(s.state)],
            "comment_body": s.text,
        }
        for s in statements
    )


def export_participants_votes(user: Any, conversation: Conversation) -> str:
    """participants-votes.csv: one row per participant, with the group from the latest map."""
    _require_export(user, conversation)
    analysis = latest_analysis(conversation)
    group_of: dict[str, int] = {}
    if analysis is not None:
        group_of = {str(p[0]): int(p[3]) for p in analysis.result.get("participants", [])}
    numbers = list(
        Statement.objects.filter(conversation=conversation)
        .order_by("number")
        .values_list("number", flat=True)
    )
    col = {n: j for j, n in enumerate(numbers)}
    authored = dict(
        Statement.objects.filter(conversation=conversation, author__isnull=False)
        .values("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    cells: dict[int, list[str]] = {}
    for pid, number, value in (
        Vote.objects.filter(conversation=conversation)
        .values_list("participant_id", "statement__number", "value")
        .iterator(chunk_size=5000)
    ):
        row = cells.setdefault(pid, [""] * len(numbers))
        row[col[number]] = str(value)
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(
        ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *numbers]
    )
    for pk, number in (
        Participant.objects.filter(conversation=conversation)
        .order_by("number")
        .values_list("pk", "number")
    ):
        row = cells.get(pk, [""] * len(numbers))
        group = group_of.get(str(pk))
        writer.writerow(
            [
                number,
                "" if group is None else group,
                authored.get(pk, 0),
                sum(1 for v in row if v),
                row.count("1"),
                row.count("-1"),
                *row,
            ]
        )
    return out.getvalue()
