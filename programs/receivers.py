"""Listening for assemblies' decisions. The work is in the service; this only hands it on."""

from typing import Any

from django.dispatch import receiver

from assemblies.signals import proposal_decided
from programs.services import proposal_decision_apply


@receiver(proposal_decided, dispatch_uid="programs.proposal_decided")
def on_proposal_decided(sender: Any, *, proposal: Any, adopted: bool, actor: Any, **_: Any) -> None:
    proposal_decision_apply(proposal=proposal, adopted=adopted, actor=actor)
