"""A vision drafted as sections, each adopted and later amended through the assembly's own
proposals."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, User
from assemblies import services as assembly_services
from programs import selectors, services
from programs.models import Horizon, Outcome, SectionStatus, VisionSection
from programs.tests.conftest import Network, decide

pytestmark = pytest.mark.django_db

TEXT = "Every household in Portland lives within ten minutes' walk of fresh food."


def _draft(network: Network) -> VisionSection:
    return services.vision_section_draft(
        user=network.city_chairs[0],
        assembly=network.city_assemblies[0],
        horizon=Horizon.TEN,
        title="Food",
        text=TEXT,
    )


def test_it_puts_a_section_to_the_assembly_as_a_proposal(network: Network) -> None:
    section = _draft(network)
    change = section.changes.get()
    assert change.proposal.body == TEXT
    assert change.proposal.assembly == network.city_assemblies[0]
    assert section.status == SectionStatus.DRAFT and section.text == ""
    page = selectors.vision(network.city_assemblies[0])
    assert page["drafts"] == [section] and page["adopted_count"] == 0


def test_adopting_the_proposal_adopts_the_section_as_amended(network: Network) -> None:
    section = _draft(network)
    proposal = section.changes.get().proposal
    amendment = assembly_services.amendment_propose(
        user=network.city_chairs[0], proposal=proposal, new_text=TEXT + " And nobody goes hungry."
    )
    assembly_services.amendment_accept(user=network.city_chairs[0], amendment=amendment)
    decide(network.city_chairs[0], network.city_assemblies[0], proposal)
    section.refresh_from_db()
    assert section.status == SectionStatus.ADOPTED
    assert section.text.endswith("nobody goes hungry.")
    page = selectors.vision(network.city_assemblies[0])
    [ten, twenty, fifty] = page["horizons"]
    assert ten.sections == [section] and twenty.sections == [] and fifty.sections == []
    assert AuditEvent.objects.filter(action="vision.adopt", target_id=str(section.pk)).exists()


def test_a_rejected_draft_leaves_the_vision(network: Network) -> None:
    section = _draft(network)
    decide(
        network.city_chairs[0],
        network.city_assemblies[0],
        section.changes.get().proposal,
        adopt=False,
    )
    section.refresh_from_db()
    assert section.status == SectionStatus.REJECTED
    page = selectors.vision(network.city_assemblies[0])
    assert page["drafts"] == [] and page["adopted_count"] == 0


def test_an_amendment_replaces_the_text_only_once_adopted(network: Network) -> None:
    section = _draft(network)
    chair, assembly = network.city_chairs[0], network.city_assemblies[0]
    decide(chair, assembly, section.changes.get().proposal)
    change = services.vision_section_amend(
        user=chair, section=section, text="Every household grows or shares some of its food."
    )
    section.refresh_from_db()
    assert section.text == TEXT
    assert selectors.vision(assembly)["amendments"] == [section]
    with pytest.raises(ValidationError):
        services.vision_section_amend(user=chair, section=section, text="Something else.")
    decide(chair, assembly, change.proposal)
    section.refresh_from_db()
    change.refresh_from_db()
    assert section.text == "Every household grows or shares some of its food."
    assert change.outcome == Outcome.ADOPTED


def test_a_rejected_amendment_keeps_the_adopted_text(network: Network) -> None:
    section = _draft(network)
    chair, assembly = network.city_chairs[0], network.city_assemblies[0]
    decide(chair, assembly, section.changes.get().proposal)
    change = services.vision_section_amend(user=chair, section=section, text="Fewer shops.")
    decide(chair, assembly, change.proposal, adopt=False)
    section.refresh_from_db()
    assert section.text == TEXT and section.status == SectionStatus.ADOPTED


def test_it_refuses_amending_a_draft_here_or_with_the_same_text(network: Network) -> None:
    section = _draft(network)
    chair, assembly = network.city_chairs[0], network.city_assemblies[0]
    with pytest.raises(ValidationError):
        services.vision_section_amend(user=chair, section=section, text="Other words.")
    decide(chair, assembly, section.changes.get().proposal)
    with pytest.raises(ValidationError):
        services.vision_section_amend(user=chair, section=section, text=TEXT)


def test_it_refuses_outsiders(network: Network, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.vision_section_draft(
            user=outsider,
            assembly=network.city_assemblies[0],
            horizon=Horizon.FIFTY,
            title="x",
            text="y",
        )
    section = _draft(network)
    decide(network.city_chairs[0], network.city_assemblies[0], section.changes.get().proposal)
    with pytest.raises(PermissionDenied):
        services.vision_section_amend(user=outsider, section=section, text="Mine now.")
    # Another city's chair takes no part in Portland's assembly.
    with pytest.raises(PermissionDenied):
        services.vision_section_amend(user=network.city_chairs[1], section=section, text="No.")


def test_it_refuses_a_horizon_it_does_not_know(network: Network) -> None:
    with pytest.raises(ValidationError):
        services.vision_section_draft(
            user=network.city_chairs[0],
            assembly=network.city_assemblies[0],
            horizon=15,
            title="x",
            text="y",
        )


def test_a_withdrawn_draft_or_amendment_is_no_longer_being_decided(network: Network) -> None:
    chair, assembly = network.city_chairs[0], network.city_assemblies[0]
    withdrawn = _draft(network)
    assembly_services.proposal_withdraw(user=chair, proposal=withdrawn.changes.get().proposal)
    assert selectors.vision(assembly)["drafts"] == []
    section = _draft(network)
    decide(chair, assembly, section.changes.get().proposal)
    change = services.vision_section_amend(user=chair, section=section, text="Shared gardens.")
    assembly_services.proposal_withdraw(user=chair, proposal=change.proposal)
    assert selectors.vision(assembly)["amendments"] == []
    # Another amendment may be proposed once the first is withdrawn.
    services.vision_section_amend(user=chair, section=section, text="Shared orchards.")
