"""Assemblies: where a coalition's member groups (and, where it allows, people) decide together.

An assembly belongs to one organization (a coalition, or any group that wants one). Its members
are the coalition's active member groups and the people it lets in. Proposals gather support
until they reach the agenda, are amended and deliberated, and are decided by a question put to
a vote in an online round or recorded in a meeting. Delegates, mandates and plans are meant to
hang off the same rows later (a Question already says which group voted how).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PeopleMode(models.TextChoices):
    GROUPS = "groups", _("Member groups only (their admins vote for them)")
    MEMBERS = "members", _("Member groups, and people who belong to them")
    OPEN = "open", _("Member groups, and anyone who signs up")


class Assembly(models.Model):
    organization = models.OneToOneField(
        "directory.Organization", on_delete=models.CASCADE, related_name="assembly"
    )
    description = models.TextField(blank=True, max_length=5000)
    people = models.CharField(max_length=8, choices=PeopleMode.choices, default=PeopleMode.MEMBERS)
    # Supporters a proposal needs before it reaches the agenda.
    support_threshold = models.PositiveIntegerField(default=3)
    proposal_count = models.PositiveIntegerField(default=0)
    # People taking part in their own name, kept by the services (counting 100,000 rows on
    # every page view costs more than the rest of the page).
    person_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.organization)


class AssemblyPerson(models.Model):
    """A person taking part in their own name; `group` is the member group they belong to."""

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="persons")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assembly", "user"], name="assembly_person_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.assembly}"


class Meeting(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    # The wall clock people read the time on: the meeting place's zone.
    time_zone = models.CharField(max_length=64, default="UTC")
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.CharField(max_length=300, blank=True)
    link = models.URLField(max_length=500, blank=True)
    minutes = models.TextField(blank=True, max_length=50000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    proposal = models.ForeignKey(
        "Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items"
    )
    # What the room decided on this item, recorded by an admin.
    decision = models.TextField(blank=True, max_length=5000)
    votes_for = models.PositiveIntegerField(null=True, blank=True)
    votes_against = models.PositiveIntegerField(null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The group the person speaks for in the room, if any.
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attend_once")]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting}"


class ProposalStatus(models.TextChoices):
    GATHERING = "gathering", _("Gathering support")
    AGENDA = "agenda", _("On the agenda")
    VOTING = "voting", _("Being decided")
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Not adopted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Proposal(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.GATHERING
    )
    # Counters moved with F() by the services, so lists never count rows per proposal.
    support_count = models.PositiveIntegerField(default=0)
    argument_count = models.PositiveIntegerField(default=0)
    amendment_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["assembly", "-id"], name="proposal_page"),
            models.Index(fields=["assembly", "status", "-id"], name="proposal_status_page"),
        ]

    def __str__(self) -> str:
        return self.title


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="support_once")]

    def __str__(self) -> str:
        return f"{self.user} supports {self.proposal}"


class AmendmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted into the text")
    DECLINED = "declined", _("Declined by the authors")
    VOTING = "voting", _("Put to a vote")
    REJECTED = "rejected", _("Rejected by vote")


class Amendment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="amendments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The text the amendment was written against, and the text it proposes: the page shows
    # the difference, and accepting it is refused if the proposal changed since.
    base_text = models.TextField(max_length=20000)
    text = models.TextField(max_length=20000)
    reason = models.TextField(blank=True, max_length=3000)
    status = models.CharField(
        max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Amendment to {self.proposal}"


class Stance(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    QUESTION = "question", _("Question")


class Argument(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="arguments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    stance = models.CharField(max_length=8, choices=Stance.choices)
    text = models.TextField(max_length=5000)
    endorsement_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The thread, paged by id, and the strongest of each side.
            models.Index(fields=["proposal", "parent", "id"], name="argument_thread"),
            models.Index(
                fields=["proposal", "stance", "-endorsement_count", "id"], name="argument_top"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stance}: {self.text[:60]}"


class Endorsement(models.Model):
    argument = models.ForeignKey(Argument, on_delete=models.CASCADE, related_name="endorsements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["argument", "user"], name="endorse_once")]

    def __str__(self) -> str:
        return f"{self.user} endorses {self.argument_id}"


class Method(models.TextChoices):
    CONSENT = "consent", _("Consent (objections and blocks)")
    MAJORITY = "majority", _("Simple majority")
    QUALIFIED = "qualified", _("Qualified majority")
    APPROVAL = "approval", _("Approval voting")
    SCORE = "score", _("Score voting")
    PLURALITY = "plurality", _("One choice each (plurality)")
    SCHULZE = "schulze", _("Ranked choice: Schulze")
    RANKED_PAIRS = "ranked-pairs", _("Ranked choice: ranked pairs")
    IRV = "irv", _("Ranked choice: instant runoff")
    STV = "stv", _("Several seats: single transferable vote")
    PAV = "pav", _("Several seats: proportional approval (PAV)")
    PHRAGMEN = "phragmen", _("Several seats: Phragmén")
    EQUAL_SHARES = "equal-shares", _("Budget or seats: Method of Equal Shares")
    GREEDY = "greedy", _("Budget: greedy by votes")


YES_NO = {Method.CONSENT, Method.MAJORITY, Method.QUALIFIED}
RANKED = {Method.SCHULZE, Method.RANKED_PAIRS, Method.IRV, Method.STV}
APPROVALS = {Method.APPROVAL, Method.PAV, Method.PHRAGMEN, Method.EQUAL_SHARES, Method.GREEDY}


class QuestionState(models.TextChoices):
    DRAFT = "draft", _("Not open yet")
    OPEN = "open", _("Open for votes")
    CLOSED = "closed", _("Closed")


class Question(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="questions")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    amendment = models.ForeignKey(
        Amendment, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    # A member group running a coalition's question inside its own assembly: when this one
    # closes, its result becomes the group's ballot on `parent`.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="mirrors"
    )
    title = models.CharField(max_length=300)
    method = models.CharField(max_length=14, choices=Method.choices)
    seats = models.PositiveSmallIntegerField(default=1)
    # Share of yes among yes and no that a qualified majority needs, e.g. 0.6667.
    threshold = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(default=5)
    quorum = models.PositiveIntegerField(default=0, help_text="Ballots needed for a result.")
    group_quorum = models.PositiveIntegerField(default=0)
    double_majority = models.BooleanField(default=False)
    weigh_groups_by_size = models.BooleanField(default=False)
    secret = models.BooleanField(default=False)
    hide_results = models.BooleanField(default=True)
    state = models.CharField(
        max_length=8, choices=QuestionState.choices, default=QuestionState.DRAFT
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # When the round actually closed (an admin may close it before its time, the worker's tick
    # after it): the accountability page dates decisions by it.
    decided_at = models.DateTimeField(null=True, blank=True)
    ballot_count = models.PositiveIntegerField(default=0)
    # The tally as it stood when the round closed (recomputable from the ballots).
    result = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "closes_at"]),
            models.Index(fields=["assembly", "state", "decided_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def yes_no(self) -> bool:
        return self.method in YES_NO


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class BallotSource(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper, uploaded")
    GROUP = "group", _("A member group's vote")


class Ballot(models.Model):
    """One vote. `content` is method-shaped: {"position": "consent"} for yes/no methods,
    {"ranking": [["a"], ["b", "c"]]}, {"approvals": [...]}, {"scores": {...}} otherwise."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="ballots")
    # Keyed hash of the voter (or group), so a person can change their vote and never vote
    # twice, while a secret ballot stores nobody's name.
    voter_key = models.CharField(max_length=64)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=BallotSource.choices)
    content = models.JSONField()
    weight = models.PositiveIntegerField(default=1)
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "voter_key"], name="ballot_once")
        ]
        indexes = [models.Index(fields=["question", "source"])]

    def __str__(self) -> str:
        return f"Ballot on {self.question_id}"


class ConcernKind(models.TextChoices):
    OBJECTION = "objection", _("Objection")
    BLOCK = "block", _("Block")


class Concern(models.Model):
    """An objection or a block raised under consent, with the answer it was given."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="concerns")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=ConcernKind.choices)
    text = models.TextField(max_length=5000)
    answer = models.TextField(blank=True, max_length=5000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The person withdrew it (after an answer, or on second thought).
    withdrawn = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:60]}"


class Announcement(models.Model):
    """Telling every member something (a round opened or closed): a notice in the hub and a
    mail each, fanned out in the background through the alerts' delivery rows."""

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="announcements")
    subject = models.CharField(max_length=200)
    text = models.TextField(max_length=5000)
    url = models.CharField(max_length=300, blank=True)
    alert = models.ForeignKey(
        "actions.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The fan-out walks the audience in user-id order and records how far it got in the same
    # transaction as each batch, so a task run twice or after a crash resumes without repeats.
    done_through_user = models.PositiveBigIntegerField(default=0)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.subject


# Delegates, mandates and recall live in their own module; imported here so they are this app's.
from assemblies.delegates_models import (  # noqa: E402, F401
    Candidate,
    Delegate,
    DelegateStatus,
    DelegateVote,
    Delegation,
    Election,
    Mandate,
    MandateState,
    Report,
)
