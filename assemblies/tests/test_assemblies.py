"""Holding an assembly, who takes part, and meetings."""

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, User
from assemblies import permissions, services
from assemblies.models import PeopleMode, ProposalStatus
from assemblies.tests.conftest import City

pytestmark = pytest.mark.django_db


def test_it_lets_only_the_coalitions_admins_open_its_assembly(city: City, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.assembly_open(user=outsider, organization=city.groups[0])
    assert AuditEvent.objects.filter(action="assembly.open").count() == 1


def test_it_holds_one_assembly_per_organization(city: City) -> None:
    with pytest.raises(ValidationError):
        services.assembly_open(user=city.chair, organization=city.coalition)


def test_it_counts_member_groups_admins_as_participants(city: City, outsider: User) -> None:
    assert permissions.member_groups(city.assembly).count() == 5
    assert permissions.is_participant(city.admins[3], city.assembly)
    assert permissions.groups_spoken_for(city.admins[3], city.assembly) == [city.groups[3]]
    assert not permissions.is_participant(outsider, city.assembly)


def test_it_lets_anyone_join_only_an_open_assembly(city: City, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.assembly_join(user=outsider, assembly=city.assembly)
    services.assembly_update(
        user=city.chair,
        assembly=city.assembly,
        people=PeopleMode.OPEN,
        support_threshold=2,
        description="",
    )
    services.assembly_join(user=outsider, assembly=city.assembly)
    assert permissions.is_participant(outsider, city.assembly)


def test_it_lets_a_group_admin_add_their_people(city: City, outsider: User) -> None:
    services.assembly_person_add(
        user=city.admins[0], assembly=city.assembly, group=city.groups[0], email=outsider.email
    )
    assert permissions.is_person(outsider, city.assembly)
    with pytest.raises(PermissionDenied):
        services.assembly_person_add(
            user=city.admins[1], assembly=city.assembly, group=city.groups[0], email="x@example.org"
        )


def test_it_refuses_settings_to_anyone_but_admins(city: City) -> None:
    with pytest.raises(PermissionDenied):
        services.assembly_update(
            user=city.admins[0],
            assembly=city.assembly,
            people="open",
            support_threshold=1,
            description="",
        )


def test_it_keeps_a_meetings_time_on_the_places_clock(city: City) -> None:
    meeting = services.meeting_schedule(
        user=city.chair,
        assembly=city.assembly,
        title="General assembly",
        starts_local=datetime(2027, 1, 14, 18, 30),
        time_zone="America/Los_Angeles",
        location="Central Library",
        agenda=["Welcome", "Budget"],
    )
    # 18:30 in Portland in January is 02:30 UTC the next day.
    assert meeting.starts_at.utcoffset() is not None
    assert meeting.starts_at.astimezone(datetime.now().astimezone().tzinfo).timestamp() == (
        datetime.fromisoformat("2027-01-15T02:30:00+00:00").timestamp()
    )
    assert [i.title for i in meeting.agenda.all()] == ["Welcome", "Budget"]


def test_it_records_attendance_minutes_and_decisions_in_the_room(
    city: City, outsider: User
) -> None:
    proposal = services.proposal_submit(
        user=city.admins[0], assembly=city.assembly, title="Rent strike fund", body="Set one up."
    )
    meeting = services.meeting_schedule(
        user=city.chair,
        assembly=city.assembly,
        title="Assembly",
        starts_local=datetime(2027, 2, 1, 18, 0),
        time_zone="America/Los_Angeles",
        proposals=[proposal],
    )
    services.meeting_attend(user=city.admins[1], meeting=meeting, organization=city.groups[1])
    with pytest.raises(PermissionDenied):
        services.meeting_attend(user=city.admins[1], meeting=meeting, organization=city.groups[2])
    with pytest.raises(PermissionDenied):
        services.meeting_attend(user=outsider, meeting=meeting)
    services.meeting_minutes_record(user=city.chair, meeting=meeting, minutes="We met.")
    item = meeting.agenda.get()
    with pytest.raises(PermissionDenied):
        services.agenda_decision_record(user=city.admins[0], item=item, decision="yes")
    services.agenda_decision_record(
        user=city.chair,
        item=item,
        decision="Adopted by show of hands",
        votes_for=30,
        votes_against=2,
        adopted=True,
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ADOPTED
    assert meeting.attendance.count() == 1


def test_it_keeps_count_of_the_people_taking_part(city: City, outsider: User) -> None:
    services.assembly_person_add(
        user=city.admins[0], assembly=city.assembly, group=city.groups[0], email=outsider.email
    )
    services.assembly_person_add(
        user=city.admins[0], assembly=city.assembly, group=city.groups[0], email=outsider.email
    )
    city.assembly.refresh_from_db()
    assert city.assembly.person_count == 1
