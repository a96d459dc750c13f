"""Holding an assembly, letting people in, and meetings in the room."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from assemblies import permissions
from assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyPerson,
    Attendance,
    Meeting,
    PeopleMode,
    Proposal,
    ProposalStatus,
)
from assemblies.services._shared import text
from assemblies.signals import proposal_decided
from directory import permissions as directory_permissions
from directory.models import Organization
from places.models import Place

MAX_AGENDA = 40


@transaction.atomic
def assembly_open(
    *,
    user: Any,
    organization: Organization,
    people: str = PeopleMode.MEMBERS,
    support_threshold: int = 3,
    description: str = "",
) -> Assembly:
    """An organization's admin opens its assembly (one per organization)."""
    if not directory_permissions.is_organization_admin(user, organization):
        raise PermissionDenied(_("Only this group's admins can open its assembly."))
    if people not in PeopleMode.values:
        raise ValidationError({"people": _("Choose who takes part.")})
    if Assembly.objects.filter(organization=organization).exists():
        raise ValidationError(_("%(name)s already holds an assembly.") % {"name": organization})
    assembly = Assembly.objects.create(
        organization=organization,
        people=people,
        support_threshold=max(1, int(support_threshold)),
        description=text(description, limit=5000, field="description", required=False),
        created_by=user,
    )
    audit_record(actor=user, action="assembly.open", target=assembly, data={"org": organization.pk})
    return assembly


@transaction.atomic
def assembly_update(
    *, user: Any, assembly: Assembly, people: str, support_threshold: int, description: str
) -> Assembly:
    permissions.require_admin(user, assembly)
    if people not in PeopleMode.values:
        raise ValidationError({"people": _("Choose who takes part.")})
    assembly.people = people
    assembly.support_threshold = max(1, int(support_threshold))
    assembly.description = text(description, limit=5000, field="description", required=False)
    assembly.save(update_fields=["people", "support_threshold", "description"])
    audit_record(actor=user, action="assembly.update", target=assembly)
    return assembly


@transaction.atomic
def assembly_join(*, user: Any, assembly: Assembly) -> AssemblyPerson:
    """Anyone signed in joins an assembly open to sign-up."""
    if not permissions.signed_in(user):
        raise PermissionDenied(_("Sign in to take part."))
    if assembly.people != PeopleMode.OPEN:
        raise PermissionDenied(_("This assembly is not open to sign-up."))
    person, created = AssemblyPerson.objects.get_or_create(assembly=assembly, user=user)
    if created:
        Assembly.objects.filter(pk=assembly.pk).update(person_count=F("person_count") + 1)
        audit_record(actor=user, action="assembly.join", target=assembly)
    return person


@transaction.atomic
def assembly_person_add(
    *, user: Any, assembly: Assembly, group: Organization, email: str
) -> AssemblyPerson:
    """A member group's admin adds one of the group's people to take part in their own name."""
    if assembly.people == PeopleMode.GROUPS:
        raise PermissionDenied(_("In this assembly only member groups take part."))
    if group not in permissions.groups_spoken_for(user, assembly) and not (
        group.pk == assembly.organization_id and permissions.is_admin(user, assembly)
    ):
        raise PermissionDenied(_("Only an admin of a member group can add its people."))
    person = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if person is None:
        raise ValidationError(
            {"email": _("No one has an account with this address; ask them to sign up first.")}
        )
    row, created = AssemblyPerson.objects.get_or_create(
        assembly=assembly, user=person, defaults={"group": group}
    )
    if created:
        Assembly.objects.filter(pk=assembly.pk).update(person_count=F("person_count") + 1)
        audit_record(
            actor=user,
            action="assembly.person_add",
            target=assembly,
            data={"user": person.pk, "group": group.pk},
        )
    return row


@transaction.atomic
def meeting_schedule(
    *,
    user: Any,
    assembly: Assembly,
    title: str,
    starts_local: datetime,
    time_zone: str,
    place: Place | None = None,
    location: str = "",
    link: str = "",
    agenda: list[str] | None = None,
    proposals: list[Proposal] | None = None,
) -> Meeting:
    """An admin calls a meeting. The time is read on the wall clock of `time_zone` (the
    meeting place's) and stored as an instant."""
    permissions.require_admin(user, assembly)
    try:
        zone = ZoneInfo(time_zone)
    except Exception as error:
        raise ValidationError({"time_zone": _("Choose a time zone.")}) from error
    meeting = Meeting.objects.create(
        assembly=assembly,
        title=text(title, limit=200, field="title"),
        starts_at=starts_local.replace(tzinfo=zone),
        time_zone=time_zone,
        place=place,
        location=text(location, limit=300, field="location", required=False),
        link=link.strip(),
        created_by=user,
    )
    items: list[AgendaItem] = []
    for proposal in proposals or []:
        if proposal.assembly_id != assembly.pk:
            raise PermissionDenied(_("That proposal belongs to another assembly."))
        items.append(AgendaItem(meeting=meeting, title=proposal.title, proposal=proposal))
    items += [AgendaItem(meeting=meeting, title=line) for line in (agenda or []) if line.strip()]
    if len(items) > MAX_AGENDA:
        raise ValidationError(
            {"agenda": _("An agenda holds at most %(n)d items.") % {"n": MAX_AGENDA}}
        )
    for position, item in enumerate(items, start=1):
        item.position = position
        item.title = item.title.strip()[:300]
    AgendaItem.objects.bulk_create(items)
    audit_record(actor=user, action="meeting.schedule", target=meeting, data={"items": len(items)})
    return meeting


@transaction.atomic
def meeting_attend(
    *, user: Any, meeting: Meeting, organization: Organization | None = None
) -> Attendance:
    """A member records that they are (or were) in the room, for themselves or their group."""
    permissions.require_participant(user, meeting.assembly)
    if organization is not None and organization not in permissions.groups_spoken_for(
        user, meeting.assembly
    ):
        raise PermissionDenied(_("You can attend only for a member group you administer."))
    try:
        with transaction.atomic():
            row = Attendance.objects.create(meeting=meeting, user=user, organization=organization)
    except IntegrityError:
        row = Attendance.objects.get(meeting=meeting, user=user)
        row.organization = organization
        row.save(update_fields=["organization"])
    audit_record(actor=user, action="meeting.attend", target=meeting)
    return row


@transaction.atomic
def meeting_minutes_record(*, user: Any, meeting: Meeting, minutes: str) -> Meeting:
    permissions.require_admin(user, meeting.assembly)
    meeting.minutes = text(minutes, limit=50000, field="minutes", required=False)
    meeting.save(update_fields=["minutes"])
    audit_record(actor=user, action="meeting.minutes", target=meeting)
    return meeting


@transaction.atomic
def agenda_decision_record(
    *,
    user: Any,
    item: AgendaItem,
    decision: str,
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    adopted: bool | None = None,
) -> AgendaItem:
    """An admin records what the room decided on an item; a proposal on it is adopted or not."""
    assembly = item.meeting.assembly
    permissions.require_admin(user, assembly)
    item.decision = text(decision, limit=5000, field="decision")
    item.votes_for, item.votes_against, item.votes_abstain = votes_for, votes_against, votes_abstain
    item.save(update_fields=["decision", "votes_for", "votes_against", "votes_abstain"])
    if item.proposal_id and adopted is not None:
        Proposal.objects.filter(pk=item.proposal_id).update(
            status=ProposalStatus.ADOPTED if adopted else ProposalStatus.REJECTED
        )
        proposal_decided.send(
            sender=Proposal,
            proposal=Proposal.objects.get(pk=item.proposal_id),
            adopted=adopted,
            actor=user,
        )
    audit_record(
        actor=user,
        action="meeting.decision",
        target=item.meeting,
        data={"item": item.pk, "adopted": adopted},
    )
    return item
