"""Vision and minimum program: what assemblies want their place to become, and the planks
(transitional demands, new institutions) they adopt and endorse, built bottom-up.

Nothing here is decided outside an assembly. A vision section, a plank, and an endorsement are
each carried by an `assemblies.Proposal`: the assembly decides the proposal with its own
methods, and the decision (`assemblies.signals.proposal_decided`) settles the row here. The
text kept is the proposal's text as adopted, amendments included.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assemblies.models import ProposalStatus


class Horizon(models.IntegerChoices):
    TEN = 10, _("In 10 years")
    TWENTY = 20, _("In 20 years")
    FIFTY = 50, _("In 50 years")


class SectionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft, being decided")
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Not adopted")


class VisionSection(models.Model):
    assembly = models.ForeignKey(
        "assemblies.Assembly", on_delete=models.CASCADE, related_name="vision_sections"
    )
    horizon = models.PositiveSmallIntegerField(choices=Horizon.choices)
    title = models.CharField(max_length=200)
    # The adopted text; empty until the first draft is adopted. A later amendment replaces it
    # only when its own proposal is adopted, so the page always shows what was decided.
    text = models.TextField(blank=True, max_length=20000)
    status = models.CharField(
        max_length=10, choices=SectionStatus.choices, default=SectionStatus.DRAFT
    )
    adopted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["horizon", "id"]
        indexes = [models.Index(fields=["assembly", "status", "horizon"])]

    def __str__(self) -> str:
        return self.title


class ChangeKind(models.TextChoices):
    DRAFT = "draft", _("First draft")
    AMEND = "amend", _("Amendment")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Being decided")
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Not adopted")


# A section change or an endorsement motion still being decided: pending, and its proposal not
# withdrawn by its author (a withdrawal is no decision, so the row itself stays pending).
DECIDING = Q(outcome=Outcome.PENDING) & ~Q(proposal__status=ProposalStatus.WITHDRAWN)


class SectionChange(models.Model):
    """One proposal that would set a section's text: its first draft or a later amendment."""

    section = models.ForeignKey(VisionSection, on_delete=models.CASCADE, related_name="changes")
    proposal = models.OneToOneField(
        "assemblies.Proposal", on_delete=models.CASCADE, related_name="vision_change"
    )
    kind = models.CharField(max_length=6, choices=ChangeKind.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.section}"


class PlankKind(models.TextChoices):
    DEMAND = "demand", _("Transitional demand")
    INSTITUTION = "institution", _("New institution to build")
    POLICY = "policy", _("Policy or practice")


class PlankStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed, being decided")
    ADOPTED = "adopted", _("In the program")
    REJECTED = "rejected", _("Not adopted")


class PlankQuerySet(models.QuerySet["Plank"]):
    def public(self) -> "PlankQuerySet":
        return self.filter(assembly__organization__is_hidden=False)


class Plank(models.Model):
    """A plank proposed in one assembly (its origin); adopted there, it is in that coalition's
    program. Other assemblies endorse it through their own decisions."""

    assembly = models.ForeignKey(
        "assemblies.Assembly", on_delete=models.CASCADE, related_name="planks"
    )
    proposal = models.OneToOneField(
        "assemblies.Proposal", on_delete=models.CASCADE, related_name="plank"
    )
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=20000)
    kind = models.CharField(max_length=12, choices=PlankKind.choices, default=PlankKind.DEMAND)
    status = models.CharField(
        max_length=10, choices=PlankStatus.choices, default=PlankStatus.PROPOSED
    )
    adopted_at = models.DateTimeField(null=True, blank=True)
    # Kept by the services (moved with F()) so rankings never count endorsements per request.
    endorsement_count = models.PositiveIntegerField(default=0)
    # Distinct places the endorsing assemblies sit in.
    place_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlankQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["-endorsement_count", "-place_count", "-id"], name="plank_widest"),
            models.Index(fields=["assembly", "status"], name="plank_program"),
        ]

    def __str__(self) -> str:
        return self.title


class PlankMotion(models.Model):
    """An "endorse this plank" proposal put to another assembly."""

    plank = models.ForeignKey(Plank, on_delete=models.CASCADE, related_name="motions")
    assembly = models.ForeignKey(
        "assemblies.Assembly", on_delete=models.CASCADE, related_name="plank_motions"
    )
    proposal = models.OneToOneField(
        "assemblies.Proposal", on_delete=models.CASCADE, related_name="plank_motion"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["plank", "assembly", "outcome"])]

    def __str__(self) -> str:
        return f"Endorse {self.plank} in {self.assembly}"


# The level of an assembly held by a group that is not a coalition.
GROUP_LEVEL = "group"


class Endorsement(models.Model):
    """An assembly's decision to endorse a plank, with where and at what level it sits, copied
    at the time so the map and the rollups never join through coalitions."""

    plank = models.ForeignKey(Plank, on_delete=models.CASCADE, related_name="endorsements")
    assembly = models.ForeignKey(
        "assemblies.Assembly", on_delete=models.CASCADE, related_name="plank_endorsements"
    )
    # The decision cannot be deleted on its own; deleting the whole assembly takes both.
    decision = models.ForeignKey("assemblies.Proposal", on_delete=models.RESTRICT, related_name="+")
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(max_length=16)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["plank", "assembly"], name="endorse_plank_once")
        ]

    def __str__(self) -> str:
        return f"{self.assembly} endorses {self.plank}"


class PlankReach(models.Model):
    """How many endorsing assemblies sit at or below a place, by their level ("" for all
    levels): one row per plank, place and level, moved with F() as endorsements arrive, so
    "14 of Oregon's city coalitions" and "endorsed in 9 states" are read, never counted."""

    plank = models.ForeignKey(Plank, on_delete=models.CASCADE, related_name="reach")
    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    # Copied from the place so a plank's states or countries are one indexed filter.
    place_kind = models.CharField(max_length=16)
    level = models.CharField(max_length=16, blank=True)
    assemblies = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plank", "place", "level"], name="reach_once")
        ]
        indexes = [
            models.Index(fields=["plank", "place_kind", "level"], name="reach_by_kind"),
            models.Index(fields=["place", "level", "-assemblies"], name="reach_in_place"),
        ]

    def __str__(self) -> str:
        return f"{self.plank} in {self.place}: {self.assemblies}"
