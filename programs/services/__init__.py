"""Every write in the programs app; imported from here by views and tests."""

from programs.services.decisions import endorsement_record, proposal_decision_apply
from programs.services.planks import plank_endorsement_propose, plank_propose
from programs.services.vision import vision_section_amend, vision_section_draft

__all__ = [
    "endorsement_record",
    "plank_endorsement_propose",
    "plank_propose",
    "proposal_decision_apply",
    "vision_section_amend",
    "vision_section_draft",
]
