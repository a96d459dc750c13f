"""A member group deciding a coalition's question in its own assembly, and paper ballots
counted in a room and uploaded from a file."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from assemblies import delegates, permissions
from assemblies.models import Assembly, Ballot, BallotSource, Question, QuestionState
from assemblies.services.assemblies import assembly_open
from assemblies.services.questions import _check_content, question_create, question_open
from directory.models import Organization


@transaction.atomic
def question_mirror(*, user: Any, question: Question, organization: Organization) -> Question:
    """A member group decides a coalition's question in its own assembly first: the same
    question, with the same options, whose result becomes the group's vote."""
    if organization not in permissions.groups_spoken_for(user, question.assembly):
        raise PermissionDenied(_("Only an admin of a member group can do this."))
    delegates.require_not_delegated(user, organization, question.assembly.organization)
    if question.state != QuestionState.OPEN:
        raise ValidationError(_("This round is not open for votes."))
    own = Assembly.objects.filter(organization=organization).first() or assembly_open(
        user=user, organization=organization
    )
    existing = Question.objects.filter(parent=question, assembly=own).first()
    if existing is not None:
        return existing
    child = question_create(
        user=user,
        assembly=own,
        title=question.title,
        method=question.method,
        options=[(o.label, o.cost) for o in question.options.all()],
        seats=question.seats,
        threshold=question.threshold,
        budget=question.budget,
        max_score=question.max_score,
        secret=question.secret,
        hide_results=question.hide_results,
        parent=question,
    )
    question_open(user=user, question=child, closes_at=question.closes_at)
    audit_record(
        actor=user, action="question.mirror", target=question, data={"group": organization.pk}
    )
    return child


@transaction.atomic
def ballots_upload(
    *, user: Any, question: Question, ballots: list[tuple[dict[str, Any], int]], note: str = ""
) -> int:
    """An admin adds paper ballots counted in the room (read from a PrefLib or Pabulib file).
    Each gets a key of its own, so uploads add up and never replace online votes."""
    permissions.require_admin(user, question.assembly)
    if question.state == QuestionState.CLOSED:
        raise ValidationError(_("This round is closed; its ballots can no longer change."))
    rows = []
    total = 0
    batch = timezone.now().isoformat()
    for i, (content, weight) in enumerate(ballots):
        checked = _check_content(question, content)
        rows.append(
            Ballot(
                question=question,
                voter_key=f"paper:{question.pk}:{batch}:{i}",
                source=BallotSource.PAPER,
                content=checked,
                weight=int(weight),
            )
        )
        total += int(weight)
    Ballot.objects.bulk_create(rows, batch_size=1000)
    Question.objects.filter(pk=question.pk).update(ballot_count=F("ballot_count") + total)
    audit_record(
        actor=user,
        action="ballots.upload",
        target=question,
        data={"rows": len(rows), "ballots": total, "note": note[:200]},
    )
    return total
