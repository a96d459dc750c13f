"""Every write to conversations, statements and votes goes through here, permission first."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from actions import permissions as action_permissions
from actions.models import CallToAction
from commonground import permissions, polis_io
from commonground.models import (
    Access,
    Conversation,
    Moderation,
    Participant,
    Statement,
    StatementState,
    Vote,
)
from commonground.tasks import conversation_recompute
from directory.models import Organization

MAX_STATEMENT = 400
MAX_SEEDS = 50
# Pol.is exports can be large; the hub's own form caps uploads well above the open datasets.
MAX_IMPORT_ROWS = 2_000_000
BATCH = 5000
# Six parameters a row, well under SQLite's 32,766 and PostgreSQL's 65,535 per statement.
UPSERT_ROWS = 1000


def debounce() -> timedelta:
    """How long a burst of votes may gather before the map is recomputed."""
    return timedelta(seconds=float(getattr(settings, "COMMONGROUND_DEBOUNCE_SECONDS", 5)))


def stall() -> timedelta:
    """After this, a pending recompute whose task never ran is assumed lost and queued again."""
    return timedelta(seconds=float(getattr(settings, "COMMONGROUND_STALL_SECONDS", 600)))


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _clean_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": "Write a statement."})
    if len(text) > MAX_STATEMENT:
        raise ValidationError(
            {"text": f"Keep statements to {MAX_STATEMENT} characters ({len(text)} now)."}
        )
    return text


# Conversations ------------------------------------------------------------------------------


@transaction.atomic
def conversation_create(
    *,
    user: Any,
    title: str,
    description: str = "",
    organization: Organization | None = None,
    call: CallToAction | None = None,
    access: str = Access.OPEN,
    is_private: bool = False,
    moderation: str = Moderation.BEFORE,
    seed_statements: list[str] | None = None,
) -> Conversation:
    _require(permissions.signed_in(user), "Sign in to start a conversation.")
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Give the conversation a title."})
    if organization is not None and call is not None:
        raise ValidationError({"call": "Attach the conversation to a group or a call, not both."})
    if organization is not None:
        _require(
            permissions.can_attach_to_organization(user, organization),
            "Only this organization's admins can start its conversations.",
        )
    if call is not None:
        _require(
            action_permissions.can_manage_call(user, call),
            "Only the issuing coalition's admins can start a conversation on this call.",
        )
    if access not in Access.values:
        raise ValidationError({"access": "Choose who may take part."})
    if moderation not in Moderation.values:
        raise ValidationError({"moderation": "Choose how statements are moderated."})
    if organization is None and call is None and (access == Access.MEMBERS or is_private):
        raise ValidationError(
            {"access": "Members-only and private conversations belong to a group or a call."}
        )
    seeds = [s for s in (seed_statements or []) if s.strip()]
    if len(seeds) > MAX_SEEDS:
        raise ValidationError({"seed_statements": f"At most {MAX_SEEDS} starting statements."})
    conversation = Conversation.objects.create(
        title=title[:200],
        description=description.strip(),
        organization=organization,
        call=call,
        access=access,
        is_private=is_private,
        moderation=moderation,
        created_by=user,
    )
    for text in seeds:
        statement_submit(user=user, conversation=conversation, text=text)
    return conversation


@transaction.atomic
def conversation_close(*, user: Any, conversation: Conversation, closed: bool = True) -> None:
    _require(
        permissions.can_moderate(user, conversation), "Only moderators can close a conversation."
    )
    Conversation.objects.filter(pk=conversation.pk).update(is_closed=closed)
    conversation.is_closed = closed


def _reserve_numbers(conversation: Conversation, field: str, count: int) -> int:
    """Reserve `count` consecutive numbers for statements or participants; returns the first.

    The UPDATE takes the conversation's row lock, so concurrent reservations never overlap.
    """
    Conversation.objects.filter(pk=conversation.pk).update(**{field: F(field) + count})
    after = Conversation.objects.filter(pk=conversation.pk).values_list(field, flat=True).get()
    return int(after) - count


def _participant_for(user: Any, conversation: Conversation) -> Participant:
    existing = Participant.objects.filter(conversation=conversation, user=user).first()
    if existing is not None:
        return existing
    number = _reserve_numbers(conversation, "next_participant_number", 1)
    try:
        with transaction.atomic():
            return Participant.objects.create(conversation=conversation, user=user, number=number)
    except IntegrityError:
        # The same person joined from another request at the same moment.
        return Participant.objects.get(conversation=conversation, user=user)


# Statements ---------------------------------------------------------------------------------


@transaction.atomic
def statement_submit(
    *, user: Any, conversation: Conversation, text: str, seeded: bool | None = None
) -> Statement:
    """Add a statement. Moderators' statements are accepted (and seeded) at once; others wait
    for moderation unless the conversation shows statements first and moderates after."""
    moderator = permissions.can_moderate(user, conversation)
    _require(
        moderator or permissions.can_take_part(user, conversation),
        "You cannot add statements to this conversation.",
    )
    if conversation.is_closed:
        raise ValidationError({"text": "This conversation is closed."})
    if seeded and not moderator:
        raise PermissionDenied("Only moderators add starting statements.")
    text = _clean_text(text)
    if Statement.objects.filter(conversation=conversation, text__iexact=text).exists():
        raise ValidationError({"text": "This statement is already in the conversation."})
    if moderator or conversation.moderation == Moderation.AFTER:
        state = StatementState.ACCEPTED
    else:
        state = StatementState.PENDING
    now = timezone.now()
    return Statement.objects.create(
        conversation=conversation,
        number=_reserve_numbers(conversation, "next_statement_number", 1),
        text=text,
        author=_participant_for(user, conversation),
        state=state,
        is_seeded=moderator if seeded is None else seeded,
        moderated_by=user if moderator else None,
        moderated_at=now if moderator else None,
        created_at=now,
    )


@transaction.atomic
def statement_moderate(*, user: Any, statement: Statement, state: str) -> Statement:
    conversation = statement.conversation
    _require(
        permissions.can_moderate(user, conversation), "Only moderators can moderate statements."
    )
    if state not in StatementState.values or state == StatementState.PENDING:
        raise ValidationError({"state": "Accept or reject the statement."})
    previous = statement.state
    Statement.objects.filter(pk=statement.pk).update(
        state=state, moderated_by=user, moderated_at=timezone.now()
    )
    statement.refresh_from_db()
    # Rejecting a statement people voted on (or restoring one) changes the map.
    if previous != state and Vote.objects.filter(statement=statement).exists():
        _schedule_recompute(conversation)
    return statement


# Votes --------------------------------------------------------------------------------------


@transaction.atomic
def vote_cast(*, user: Any, statement: Statement, value: int) -> Vote:
    """Vote on a statement, or change an earlier vote on it."""
    conversation = statement.conversation
    _require(permissions.can_take_part(user, conversation), "You cannot vote in this conversation.")
    if value not in (-1, 0, 1):
        raise ValidationError({"value": "Vote agree, disagree or pass."})
    if statement.state != StatementState.ACCEPTED:
        raise ValidationError({"statement": "This statement is not open for votes."})
    participant = _participant_for(user, conversation)
    now = timezone.now()
    vote = Vote.objects.select_for_update().filter(participant=participant, statement=statement)
    existing = vote.first()
    if existing is not None:
        if existing.value == value:
            return existing
        vote.update(value=value, updated_at=now)
        existing.value, existing.updated_at = value, now
        result = existing
    else:
        try:
            with transaction.atomic():
                result = Vote.objects.create(
                    conversation=conversation,
                    participant=participant,
                    statement=statement,
                    value=value,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # A double submit raced this one: the later value wins, as it would anyway.
            vote.update(value=value, updated_at=now)
            result = vote.get()
    Conversation.objects.filter(pk=conversation.pk).update(vote_events=F("vote_events") + 1)
    _schedule_recompute(conversation)
    return result


# Recompute ----------------------------------------------------------------------------------


def _schedule_recompute(conversation: Conversation, *, now: datetime | None = None) -> bool:
    """Mark the conversation for recompute and queue one task, unless one is already waiting.

    The conditional UPDATE is the debounce: only the request that flips the flag enqueues. A
    flag left set by a task that was lost is taken over once it is older than `stall()`.
    """
    now = now or timezone.now()
    run_after = now + debounce()
    claimed = Conversation.objects.filter(
        Q(recompute_pending=False) | Q(recompute_after__lt=now - stall()), pk=conversation.pk
    ).update(recompute_pending=True, recompute_after=run_after)
    if not claimed:
        return False
    conversation.recompute_pending = True
    conversation.recompute_after = run_after
    pk = conversation.pk

    def enqueue() -> None:
        task = conversation_recompute
        if task.get_backend().supports_defer and debounce():
            task = task.using(run_after=run_after)
        task.enqueue(pk)

    transaction.on_commit(enqueue)
    return True


@transaction.atomic
def analysis_request(*, user: Any, conversation: Conversation) -> bool:
    """Ask for a fresh map (moderators); debounced like the one a vote asks for."""
    _require(permissions.can_moderate(user, conversation), "Only moderators can ask for this.")
    return _schedule_recompute(conversation)


# Pol.is import ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    statements_created: int
    participants_created: int
    votes: int


def _read_text(upload: Any, name: str) -> str:
    if upload is None:
        raise ValidationError({name: "Choose a file."})
    raw = upload.read() if hasattr(upload, "read") else upload
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({name: "The file is not UTF-8 text."}) from None
    return str(raw)


def _stream(text: str, name: str) -> IO[str]:
    """Text as a file, named the way the format errors should name it."""
    stream = io.StringIO(text)
    stream.name = f"{name}.csv"
    return stream


def _sorted_times(text: str) -> list[int]:
    """votes.csv's timestamps in the order read_vote_log puts the votes (time order)."""
    reader = csv.DictReader(io.StringIO(text))
    if "timestamp" not in [h.strip() for h in reader.fieldnames or []]:
        return []
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    return sorted(int(float(row.get("timestamp") or 0)) for row in reader)


def _votes_upsert(rows: Iterable[tuple[int, int, int, int, datetime, datetime]]) -> None:
    """Insert votes, or update the value of one already cast (last wins).

    Many rows per statement: building model instances, or one round trip per row, costs far
    more than the database's own work on a large Pol.is export. PostgreSQL takes each column
    as one array; SQLite takes a multi-row VALUES list.
    """
    table = connection.ops.quote_name(Vote._meta.db_table)
    upsert = (
        "ON CONFLICT (participant_id, statement_id) DO UPDATE "
        "SET value = excluded.value, updated_at = excluded.updated_at"
    )
    columns = "conversation_id, participant_id, statement_id, value, created_at, updated_at"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for chunk in itertools.batched(rows, 20 * UPSERT_ROWS):
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT * FROM unnest(%s::bigint[], "
                    "%s::bigint[], %s::bigint[], %s::smallint[], %s::timestamptz[], "
                    f"%s::timestamptz[]) {upsert}",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
            return
        adapt = connection.ops.adapt_datetimefield_value
        for chunk in itertools.batched(rows, UPSERT_ROWS):
            params: list[Any] = []
            for c, p, s, v, a, b in chunk:
                params += (c, p, s, v, adapt(a), adapt(b))
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} {upsert}", params)


def _when(ms: int | None, default: datetime) -> datetime:
    if not ms:
        return default
    # Pol.is writes milliseconds since the epoch.
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return default


@transaction.atomic
def polis_import(
    *, user: Any, conversation: Conversation, votes_file: Any, comments_file: Any = None
) -> ImportReport:
    """Bring in a Pol.is open-data export. Voters become anonymous participants, matched by
    voter-id when the same export is imported again; comments become statements (accepted
    unless Pol.is's moderators removed them); later votes replace earlier ones."""
    _require(
        permissions.can_moderate(user, conversation),
        "Only the conversation's moderators can import votes.",
    )
    votes_text = _read_text(votes_file, "votes")
    try:
        log = polis_io.read_vote_log(_stream(votes_text, "votes"))
        comments = (
            polis_io.read_comments(_stream(_read_text(comments_file, "comments"), "comments"))
            if comments_file is not None
            else {}
        )
    except polis_io.PolisFormatError as exc:
        field = "comments" if str(exc).startswith("comments") else "votes"
        raise ValidationError({field: str(exc)}) from None
    if not log.votes:
        raise ValidationError({"votes": "votes.csv has no votes."})
    if len(log.votes) > MAX_IMPORT_ROWS:
        raise ValidationError({"votes": f"At most {MAX_IMPORT_ROWS:,} votes per import."})
    # read_vote_log already checked every timestamp is a number.
    times = _sorted_times(votes_text)
    now = timezone.now()

    # Statements: every comment, plus any comment-id that only appears in the votes.
    ids = list(dict.fromkeys([*comments, *log.comments]))
    known = dict(
        Statement.objects.filter(conversation=conversation, external_id__in=ids).values_list(
            "external_id", "pk"
        )
    )
    new_ids = [sid for sid in ids if sid not in known]
    first = _reserve_numbers(conversation, "next_statement_number", len(new_ids))
    state_of = {1: StatementState.ACCEPTED, 0: StatementState.ACCEPTED}
    new_statements = []
    for k, sid in enumerate(new_ids):
        c = comments.get(sid)
        text = (c.text if c else "").strip() or f"Statement {sid}"
        new_statements.append(
            Statement(
                conversation=conversation,
                number=first + k,
                text=text[:5000],
                state=state_of.get(c.moderated if c else 1, StatementState.REJECTED),
                external_id=sid[:64],
                created_at=_when(c.timestamp if c else None, now),
            )
        )
    Statement.objects.bulk_create(new_statements, batch_size=BATCH)
    statement_pk = dict(
        Statement.objects.filter(conversation=conversation, external_id__in=ids).values_list(
            "external_id", "pk"
        )
    )

    # Participants: voters and comment authors.
    voters = list(dict.fromkeys([*log.voters, *(c.author_id for c in comments.values())]))
    voters = [v for v in voters if v]
    existing = dict(
        Participant.objects.filter(conversation=conversation, external_id__in=voters).values_list(
            "external_id", "pk"
        )
    )
    new_voters = [v for v in voters if v not in existing]
    first = _reserve_numbers(conversation, "next_participant_number", len(new_voters))
    Participant.objects.bulk_create(
        [
            Participant(conversation=conversation, number=first + k, external_id=v[:64])
            for k, v in enumerate(new_voters)
        ],
        batch_size=BATCH,
    )
    participant_pk = dict(
        Participant.objects.filter(conversation=conversation, external_id__in=voters).values_list(
            "external_id", "pk"
        )
    )
    for sid, c in comments.items():
        if sid in new_ids and c.author_id in participant_pk:
            Statement.objects.filter(conversation=conversation, external_id=sid).update(
                author_id=participant_pk[c.author_id]
            )

    # Votes: keep the last per (voter, comment), with its first and last times.
    latest: dict[tuple[str, str], tuple[int, datetime, datetime]] = {}
    for i, key in enumerate(zip(log.voters, log.comments, strict=True)):
        when = _when(times[i], now) if times else now
        seen = latest.get(key)
        latest[key] = (log.votes[i], seen[1] if seen else when, when)
    _votes_upsert(
        (
            conversation.pk,
            participant_pk[voter],
            statement_pk[sid],
            value,
            created,
            updated,
        )
        for (voter, sid), (value, created, updated) in latest.items()
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        vote_events=F("vote_events") + len(latest)
    )
    _schedule_recompute(conversation)
    return ImportReport(
        statements_created=len(new_ids), participants_created=len(new_voters), votes=len(latest)
    )
