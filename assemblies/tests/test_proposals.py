"""Proposals, support, amendments and deliberation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from assemblies import selectors, services
from assemblies.models import AmendmentStatus, Proposal, ProposalStatus, Stance
from assemblies.tests.conftest import City
from coalitions.models import Notice

pytestmark = pytest.mark.django_db


def _proposal(city: City) -> Proposal:
    return services.proposal_submit(
        user=city.admins[0],
        assembly=city.assembly,
        title="Community land trust",
        body="The coalition founds a community land trust.",
    )


def test_it_refuses_a_proposal_from_an_outsider(city: City, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.proposal_submit(user=outsider, assembly=city.assembly, title="x", body="y")


def test_it_moves_a_proposal_to_the_agenda_at_the_support_threshold(city: City) -> None:
    proposal = _proposal(city)
    assert proposal.support_count == 0 or proposal.status == ProposalStatus.GATHERING
    proposal.refresh_from_db()
    assert (proposal.support_count, proposal.status) == (1, ProposalStatus.GATHERING)
    services.proposal_support(user=city.admins[1], proposal=proposal)
    services.proposal_support(user=city.admins[1], proposal=proposal)  # twice counts once
    proposal.refresh_from_db()
    assert (proposal.support_count, proposal.status) == (2, ProposalStatus.AGENDA)
    assert Notice.objects.filter(user=city.admins[0], text__contains="on the agenda").count() == 1


def test_it_refuses_support_from_an_outsider(city: City, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.proposal_support(user=outsider, proposal=_proposal(city))


def test_it_lets_the_author_accept_an_amendment_into_the_text(city: City) -> None:
    proposal = _proposal(city)
    amendment = services.amendment_propose(
        user=city.admins[2],
        proposal=proposal,
        new_text="The coalition founds a community land trust with tenants on its board.",
    )
    with pytest.raises(PermissionDenied):
        services.amendment_accept(user=city.admins[3], amendment=amendment)
    services.amendment_accept(user=city.admins[0], amendment=amendment)
    proposal.refresh_from_db()
    assert proposal.body.endswith("with tenants on its board.")
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.ACCEPTED


def test_it_refuses_an_amendment_written_against_an_older_text(city: City) -> None:
    proposal = _proposal(city)
    first = services.amendment_propose(user=city.admins[2], proposal=proposal, new_text="A.")
    second = services.amendment_propose(user=city.admins[3], proposal=proposal, new_text="B.")
    services.amendment_accept(user=city.admins[0], amendment=first)
    with pytest.raises(ValidationError):
        services.amendment_accept(user=city.admins[0], amendment=second)


def test_it_refuses_an_amendment_that_changes_nothing(city: City) -> None:
    proposal = _proposal(city)
    with pytest.raises(ValidationError):
        services.amendment_propose(user=city.admins[2], proposal=proposal, new_text=proposal.body)


def test_it_lets_the_author_decline_once(city: City) -> None:
    proposal = _proposal(city)
    amendment = services.amendment_propose(user=city.admins[2], proposal=proposal, new_text="C.")
    services.amendment_decline(user=city.admins[0], amendment=amendment)
    with pytest.raises(ValidationError):
        services.amendment_decline(user=city.admins[0], amendment=amendment)


def test_it_shows_the_most_endorsed_argument_of_each_side_first(city: City) -> None:
    proposal = _proposal(city)
    weak = services.argument_post(
        user=city.admins[1], proposal=proposal, stance=Stance.FOR, body="Nice."
    )
    strong = services.argument_post(
        user=city.admins[2], proposal=proposal, stance=Stance.FOR, body="Keeps rents low for good."
    )
    against = services.argument_post(
        user=city.admins[3], proposal=proposal, stance=Stance.AGAINST, body="Costly."
    )
    reply = services.argument_post(
        user=city.admins[0],
        proposal=proposal,
        stance=Stance.AGAINST,
        body="Grants.",
        parent=against,
    )
    for admin in city.admins[:3]:
        services.argument_endorse(user=admin, argument=strong)
    services.argument_endorse(user=city.admins[0], argument=strong)  # again: still three
    top = selectors.strongest_arguments(proposal)
    assert [a.pk for a in top["for"]] == [strong.pk, weak.pk]
    assert top["for"][0].endorsement_count == 3
    proposal.refresh_from_db()
    assert proposal.argument_count == 4
    thread = selectors.argument_thread(proposal)
    assert [a.pk for a in thread.rows] == [weak.pk, strong.pk, against.pk]
    assert thread.rows[2].thread_replies == [reply]


def test_it_refuses_arguments_and_endorsements_from_outsiders(city: City, outsider: User) -> None:
    proposal = _proposal(city)
    with pytest.raises(PermissionDenied):
        services.argument_post(user=outsider, proposal=proposal, stance="for", body="x")
    argument = services.argument_post(
        user=city.admins[1], proposal=proposal, stance="for", body="x"
    )
    with pytest.raises(PermissionDenied):
        services.argument_endorse(user=outsider, argument=argument)


def test_it_pages_proposals_by_key(city: City) -> None:
    for i in range(35):
        services.proposal_submit(
            user=city.admins[0], assembly=city.assembly, title=f"P{i}", body="b"
        )
    first = selectors.proposals_page(city.assembly)
    assert len(first.rows) == 30 and first.next_after is not None
    second = selectors.proposals_page(city.assembly, after=first.next_after)
    assert [p.title for p in second.rows] == ["P4", "P3", "P2", "P1", "P0"]
    assert second.next_after is None
