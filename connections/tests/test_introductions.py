"""Introductions, step by step: proposed by a weaver, both sides opt in, contact is shared only
then, a follow-up asks what came of it, and the outcome ties the groups and moves the outreach
board. Every refusal too."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, RegionalCoordinator, User
from coalitions.models import Membership, MembershipStatus, Notice
from connections import services
from connections.models import Answer, Introduction, IntroductionStatus, Tie, TieKind
from connections.selectors import contacts_shared_with, introduction_sides, suggestions_for_group
from connections.tests.conftest import Town
from directory import services as directory_services
from outreach.models import OutreachEntry, Stage
from places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def weaver(town: Town, places: dict[str, Place]) -> User:
    user = town.people["weaver"]
    RegionalCoordinator.objects.create(user=user, place=places["oregon"])
    return user


def propose(town: Town, weaver: User) -> Introduction:
    return services.introduction_propose(
        user=weaver, first=town.tenants, second=town.justice, reason="Both fight evictions."
    )


def audit(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_weaver_proposes_and_both_sides_are_told(town: Town, weaver: User) -> None:
    intro = propose(town, weaver)
    assert intro.status == IntroductionStatus.PROPOSED
    assert intro.team_place is not None and intro.team_place.name == "Oregon"
    assert [s.answer for s in introduction_sides(intro)] == [Answer.PENDING, Answer.PENDING]
    told = {n.user.email for n in Notice.objects.select_related("user")}
    assert told == {"organizer@example.org", "justice@example.org"}
    assert {m.to[0] for m in mail.outbox} == told
    assert "Both fight evictions." in mail.outbox[0].body
    assert audit("introduction.propose") == 1


def test_contact_is_shared_only_once_both_accept(town: Town, weaver: User) -> None:
    directory_services.private_contact_update(
        user=town.people["justice"], organization=town.justice, email="secret@justice.example"
    )
    intro = propose(town, weaver)
    organizer = town.people["organizer"]
    services.introduction_answer(
        user=organizer, introduction=intro, organization=town.tenants, accept=True
    )
    intro.refresh_from_db()
    assert intro.status == IntroductionStatus.PROPOSED
    assert contacts_shared_with(organizer, intro, introduction_sides(intro)) == []
    services.introduction_answer(
        user=town.people["justice"], introduction=intro, organization=town.justice, accept=True
    )
    intro.refresh_from_db()
    assert intro.status == IntroductionStatus.ACCEPTED
    assert intro.followup_due_at is not None
    shown = contacts_shared_with(organizer, intro, introduction_sides(intro))
    assert [(org.name, c.email if c else None) for org, c in shown] == [
        ("Portland Housing Justice", "secret@justice.example")
    ]
    # The other way round the tenants' contact (none given) is offered, not the justice's own.
    back = contacts_shared_with(town.people["justice"], intro, introduction_sides(intro))
    assert [org.name for org, _c in back] == ["Portland Tenants Union"]
    # Nobody else is shown anything, the weaver included.
    assert contacts_shared_with(town.people["clinic"], intro, introduction_sides(intro)) == []
    assert contacts_shared_with(weaver, intro, introduction_sides(intro)) == []
    # The two are now tied: suggestions stop offering them to each other.
    assert Tie.objects.filter(kind=TieKind.INTRODUCED).count() == 1
    found = suggestions_for_group(organizer, town.tenants)
    assert "Portland Housing Justice" not in [s.name for s in found.groups]
    assert audit("introduction.accept") == 2 and audit("introduction.accepted") == 1
    assert Notice.objects.filter(user=weaver, text__contains="both accepted your").exists()


def test_a_decline_ends_it_and_shares_nothing(town: Town, weaver: User) -> None:
    intro = propose(town, weaver)
    services.introduction_answer(
        user=town.people["justice"],
        introduction=intro,
        organization=town.justice,
        accept=False,
        message="Not now, thanks.",
    )
    intro.refresh_from_db()
    assert intro.status == IntroductionStatus.DECLINED
    with pytest.raises(ValidationError):
        services.introduction_answer(
            user=town.people["organizer"],
            introduction=intro,
            organization=town.tenants,
            accept=True,
        )
    # The other side hears it will not go ahead, without the decliner's words.
    last = Notice.objects.filter(user=town.people["organizer"]).first()
    assert last is not None and "will not go ahead" in last.text
    assert not any("Not now" in m.body for m in mail.outbox)
    assert not Tie.objects.filter(kind=TieKind.INTRODUCED).exists()
    assert Notice.objects.filter(user=weaver, text__contains="declined your introduction").exists()


def test_a_proposing_admin_says_yes_for_their_own_side(town: Town) -> None:
    organizer = town.people["organizer"]
    intro = services.introduction_propose(
        user=organizer, first=town.tenants, second=town.riders, reason="Transit and rent."
    )
    answers = {s.organization.name: s.answer for s in introduction_sides(intro)}
    assert answers == {"Portland Tenants Union": "accepted", "Eastside Transit Riders": "pending"}
    assert intro.team_place is None


def test_an_admin_of_a_shared_coalition_may_propose(town: Town) -> None:
    # Organizer administers the coalition both tenants and clinic are in; the clinic admin
    # administers only the clinic. A third person runs the coalition only:
    runner = User.objects.create_user("runner@example.org", "a-long-passphrase")
    directory_services.organization_admin_add(
        user=town.people["organizer"], organization=town.coalition, new_admin=runner
    )
    Membership.objects.create(
        coalition=town.coalition, member=town.justice, status=MembershipStatus.ACTIVE
    )
    intro = services.introduction_propose(
        user=runner, first=town.clinic, second=town.justice, reason="Health and housing."
    )
    assert all(s.answer == Answer.PENDING for s in introduction_sides(intro))


def test_outsiders_and_third_groups_cannot_propose(town: Town, outsider: User) -> None:
    for person in (outsider, town.people["gresham"]):
        with pytest.raises(PermissionDenied):
            services.introduction_propose(
                user=person, first=town.tenants, second=town.justice, reason="Why not."
            )
    assert not Introduction.objects.exists()


def test_a_weaver_cannot_introduce_a_group_outside_their_region(
    town: Town, places: dict[str, Place]
) -> None:
    elsewhere = User.objects.create_user("wa@example.org", "a-long-passphrase")
    RegionalCoordinator.objects.create(user=elsewhere, place=places["washington"])
    with pytest.raises(PermissionDenied):
        services.introduction_propose(
            user=elsewhere, first=town.seattle, second=town.tenants, reason="Across the river."
        )
    # An Oregon weaver cannot introduce an Oregon group to a Seattle one either.
    oregon = User.objects.create_user("or@example.org", "a-long-passphrase")
    RegionalCoordinator.objects.create(user=oregon, place=places["oregon"])
    with pytest.raises(PermissionDenied):
        services.introduction_propose(
            user=oregon, first=town.seattle, second=town.tenants, reason="Across the river."
        )


def test_only_a_sides_admins_answer_for_it(town: Town, weaver: User, outsider: User) -> None:
    intro = propose(town, weaver)
    for person, org in (
        (outsider, town.tenants),
        (weaver, town.tenants),  # the weaver cannot opt a group in
        (town.people["justice"], town.tenants),  # the other side
        (town.people["gresham"], town.gresham),  # a third group, not part of it
    ):
        with pytest.raises(PermissionDenied):
            services.introduction_answer(
                user=person, introduction=intro, organization=org, accept=True
            )
    assert all(s.answer == Answer.PENDING for s in introduction_sides(intro))


def test_proposals_are_checked(town: Town, weaver: User) -> None:
    with pytest.raises(ValidationError):
        services.introduction_propose(
            user=weaver, first=town.tenants, second=town.tenants, reason="x"
        )
    with pytest.raises(ValidationError):
        services.introduction_propose(
            user=weaver, first=town.tenants, second=town.justice, reason=" "
        )
    propose(town, weaver)
    with pytest.raises(ValidationError):
        propose(town, weaver)  # one under way already


def accepted(town: Town, weaver: User) -> Introduction:
    intro = propose(town, weaver)
    for person, org in (("organizer", town.tenants), ("justice", town.justice)):
        services.introduction_answer(
            user=town.people[person], introduction=intro, organization=org, accept=True
        )
    intro.refresh_from_db()
    return intro


def test_the_follow_up_asks_both_once_when_due(town: Town, weaver: User) -> None:
    intro = accepted(town, weaver)
    assert services.introduction_followup_tick() == {"asked": 0}
    later = timezone.now() + timedelta(days=22)
    mail.outbox.clear()
    assert services.introduction_followup_tick(now=later) == {"asked": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["justice@example.org", "organizer@example.org"]
    assert "Did Portland Tenants Union meet Portland Housing Justice? Tell us what came of it." in {
        m.subject for m in mail.outbox
    }
    assert services.introduction_followup_tick(now=later) == {"asked": 0}
    intro.refresh_from_db()
    assert intro.followup_sent_at == later


def test_the_follow_up_delay_is_configurable(town: Town, weaver: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTRODUCTION_FOLLOWUP_DAYS = 1
    accepted(town, weaver)
    assert services.introduction_followup_tick(now=timezone.now() + timedelta(days=2)) == {
        "asked": 1
    }


def test_met_ties_the_groups_and_moves_the_outreach_board(town: Town, weaver: User) -> None:
    intro = accepted(town, weaver)
    services.introduction_outcome_record(
        user=town.people["organizer"],
        introduction=intro,
        organization=town.tenants,
        outcome="met",
        note="Coffee on Tuesday.",
    )
    assert Tie.objects.get(introduction=intro).kind == TieKind.MET
    stages = dict(OutreachEntry.objects.values_list("organization__name", "stage"))
    assert stages == {
        "Portland Tenants Union": "connected",
        "Portland Housing Justice": "connected",
    }
    # The weaver hears of it in their notices.
    assert Notice.objects.filter(user=weaver, text__contains="We met").exists()
    services.introduction_outcome_record(
        user=town.people["justice"],
        introduction=intro,
        organization=town.justice,
        outcome="working",
    )
    assert Tie.objects.get(introduction=intro).kind == TieKind.WORKING
    assert audit("introduction.outcome") == 2


def test_the_board_never_moves_back_from_active(
    town: Town, weaver: User, places: dict[str, Place]
) -> None:
    entry = OutreachEntry.objects.create(
        organization=town.tenants, place=places["oregon"], stage=Stage.ACTIVE
    )
    intro = accepted(town, weaver)
    services.introduction_outcome_record(
        user=town.people["organizer"], introduction=intro, organization=town.tenants, outcome="met"
    )
    entry.refresh_from_db()
    assert entry.stage == Stage.ACTIVE


def test_outcomes_are_refused_to_others_and_before_acceptance(
    town: Town, weaver: User, outsider: User
) -> None:
    pending = services.introduction_propose(
        user=weaver, first=town.tenants, second=town.riders, reason="Rent and fares."
    )
    with pytest.raises(ValidationError):
        services.introduction_outcome_record(
            user=town.people["organizer"],
            introduction=pending,
            organization=town.tenants,
            outcome="met",
        )
    intro = accepted(
        town, User.objects.create_user("w2@example.org", "x", is_site_coordinator=True)
    )
    for person in (outsider, town.people["gresham"], weaver):
        with pytest.raises(PermissionDenied):
            services.introduction_outcome_record(
                user=person, introduction=intro, organization=town.tenants, outcome="met"
            )
    with pytest.raises(ValidationError):
        services.introduction_outcome_record(
            user=town.people["organizer"],
            introduction=intro,
            organization=town.tenants,
            outcome="maybe",
        )


def test_dismissals_are_the_groups_own(town: Town, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.suggestion_dismiss(
            user=outsider, owner=town.tenants, key=f"org:{town.justice.pk}", label="x"
        )
    with pytest.raises(ValidationError):
        services.suggestion_dismiss(
            user=town.people["organizer"], owner=town.tenants, key="nonsense", label="x"
        )
    services.suggestion_dismiss(
        user=town.people["organizer"], owner=town.tenants, key=f"org:{town.justice.pk}", label="J"
    )
    assert audit("suggestion.dismiss") == 1


def test_the_worker_runs_the_follow_up_among_its_chores(town: Town, weaver: User) -> None:
    from commonweal.management.commands import worker

    intro = accepted(town, weaver)
    Introduction.objects.filter(pk=intro.pk).update(
        followup_due_at=timezone.now() - timedelta(minutes=1)
    )
    worker.tick()
    intro.refresh_from_db()
    assert intro.followup_sent_at is not None


def test_a_group_admin_cannot_flood_the_directory_with_proposals(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "INTRODUCTIONS_PER_DAY", 2)
    organizer = town.people["organizer"]
    for other in (town.riders, town.justice):
        services.introduction_propose(user=organizer, first=town.tenants, second=other, reason="Hi")
    with pytest.raises(ValidationError, match="try again tomorrow"):
        services.introduction_propose(
            user=organizer, first=town.tenants, second=town.gresham, reason="Hi"
        )
