"""Delegates with recallable mandates: a member group's people who speak for it in a coalition's
assembly, the instructions the group gives them, what they report back, and their recall.

Imported by assemblies/models.py so Django sees these rows as the assemblies app's own. Foreign
keys name their models by string, so this module never imports models.py back.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Delegation(models.Model):
    """How one member group takes part in one coalition's assembly: whether its delegates (and
    only they) cast its vote there. Written when the group's admins first set it."""

    group = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    votes_by_delegates = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "coalition"], name="delegation_once")
        ]

    def __str__(self) -> str:
        return f"{self.group} in {self.coalition}"


class Election(models.Model):
    """A question in the group's own assembly whose winners become its delegates."""

    group = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    question = models.OneToOneField(
        "assemblies.Question", on_delete=models.CASCADE, related_name="delegate_election"
    )
    seats = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Election of {self.group}'s delegates to {self.coalition}"


class Candidate(models.Model):
    """The person an option of an election stands for (labels alone could repeat a name)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    option = models.OneToOneField(
        "assemblies.Option", on_delete=models.CASCADE, related_name="candidate"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return str(self.user)


class DelegateStatus(models.TextChoices):
    ACTIVE = "active", _("Delegate")
    RESERVE = "reserve", _("Next in line")
    RECALLED = "recalled", _("Recalled")
    ENDED = "ended", _("Term ended")


class Delegate(models.Model):
    group = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    coalition = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=8, choices=DelegateStatus.choices, default=DelegateStatus.ACTIVE
    )
    election = models.ForeignKey(
        Election, null=True, blank=True, on_delete=models.SET_NULL, related_name="delegates"
    )
    # Order of the line: the elected first, then who takes over a recalled seat.
    position = models.PositiveSmallIntegerField(default=0)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The recalled delegate whose seat (and standing votes) this one took over.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="successors"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # A recall put to the group's vote (the latest one, passed or not).
    recall_question = models.ForeignKey(
        "assemblies.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recalled_at = models.DateTimeField(null=True, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recall_reason = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["group", "coalition", "status"], name="delegate_seat")]

    def __str__(self) -> str:
        return f"{self.user} for {self.group} in {self.coalition}"


class MandateState(models.TextChoices):
    PROPOSED = "proposed", _("Being voted by the group")
    GIVEN = "given", _("Given")
    REJECTED = "rejected", _("Not given")


class Mandate(models.Model):
    """An instruction the group gives its delegate on an item of the coalition's assembly."""

    delegate = models.ForeignKey(Delegate, on_delete=models.CASCADE, related_name="mandates")
    question = models.ForeignKey(
        "assemblies.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposal = models.ForeignKey(
        "assemblies.Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instruction = models.TextField(max_length=5000)
    state = models.CharField(max_length=8, choices=MandateState.choices, default=MandateState.GIVEN)
    # The question in the group's own assembly that gives the mandate, when put to a vote.
    decision = models.ForeignKey(
        "assemblies.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.instruction[:60]


class DelegateVote(models.Model):
    """A ballot a delegate cast for the group, or one they took over from the delegate they
    replaced (`carried_from`), kept for the delegate's record."""

    delegate = models.ForeignKey(Delegate, on_delete=models.CASCADE, related_name="votes")
    question = models.ForeignKey("assemblies.Question", on_delete=models.CASCADE, related_name="+")
    content = models.JSONField()
    carried_from = models.ForeignKey(
        Delegate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["delegate", "question"], name="delegate_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.delegate} on {self.question_id}"


class Report(models.Model):
    """What a delegate tells the group about a meeting or a question of the coalition."""

    delegate = models.ForeignKey(Delegate, on_delete=models.CASCADE, related_name="reports")
    question = models.ForeignKey(
        "assemblies.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    meeting = models.ForeignKey(
        "assemblies.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=20000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.text[:60]
