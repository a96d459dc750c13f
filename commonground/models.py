"""Conversations where people submit statements and vote on them, and their opinion maps.

A conversation stands alone or belongs to exactly one organization (a coalition, or a group
running an assembly) or one call to action. Votes belong to participants rather than users, so
a conversation imported from Pol.is keeps its anonymous voters next to the hub's own people.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Access(models.TextChoices):
    OPEN = "open", "Anyone signed in"
    MEMBERS = "members", "Members only"


class Moderation(models.TextChoices):
    BEFORE = "before", "Check new statements before they are shown"
    AFTER = "after", "Show new statements at once; remove them later if needed"


class StatementState(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class VoteValue(models.IntegerChoices):
    AGREE = 1, "Agree"
    PASS = 0, "Pass / unsure"
    DISAGREE = -1, "Disagree"


class Conversation(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="conversations",
    )
    call = models.ForeignKey(
        "actions.CallToAction",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="conversations",
    )
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.OPEN)
    # Private conversations are seen only by those who may take part in them.
    is_private = models.BooleanField(default=False)
    moderation = models.CharField(
        max_length=8, choices=Moderation.choices, default=Moderation.BEFORE
    )
    is_closed = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped with F() on every vote cast or changed; an analysis records the value it saw, so
    # the page can say how many votes arrived since.
    vote_events = models.PositiveBigIntegerField(default=0)
    # Debounce: set by the conditional UPDATE that queues a recompute, cleared by the task as
    # it starts, so at most one recompute waits per conversation.
    recompute_pending = models.BooleanField(default=False)
    recompute_after = models.DateTimeField(null=True, blank=True)
    next_statement_number = models.PositiveIntegerField(default=0)
    next_participant_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organization__isnull=True) | models.Q(call__isnull=True),
                name="conversation_one_attachment",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("commonground:conversation", args=[self.pk])


class Participant(models.Model):
    """Someone who votes: a signed-in user, or an anonymous voter brought in by an import."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commonground_participations",
    )
    # The participant's id in exports (Pol.is voter-id): a per-conversation number, never the
    # user's identity.
    number = models.PositiveIntegerField()
    # The voter-id of an imported voter, so importing the same export twice matches them up.
    external_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"],
                condition=models.Q(user__isnull=False),
                name="participant_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=~models.Q(external_id=""),
                name="participant_external_unique",
            ),
            models.UniqueConstraint(
                fields=["conversation", "number"], name="participant_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"participant {self.number} of {self.conversation_id}"


class StatementQuerySet(models.QuerySet["Statement"]):
    def accepted(self) -> "StatementQuerySet":
        return self.filter(state=StatementState.ACCEPTED)

    def pending(self) -> "StatementQuerySet":
        return self.filter(state=StatementState.PENDING)


class Statement(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="statements"
    )
    # The statement's id in exports (Pol.is comment-id), numbered per conversation.
    number = models.PositiveIntegerField()
    text = models.TextField()
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    state = models.CharField(
        max_length=8, choices=StatementState.choices, default=StatementState.PENDING
    )
    # Seed statements come from the conversation's moderators and are shown first.
    is_seeded = models.BooleanField(default=False)
    external_id = models.CharField(max_length=64, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "number"], name="statement_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["conversation", "state"])]

    def __str__(self) -> str:
        return self.text[:60]


class Vote(models.Model):
    # Repeated from the statement so a recompute reads one conversation's votes by index.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField(choices=VoteValue.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "statement"], name="vote_once"),
            models.CheckConstraint(condition=models.Q(value__in=[-1, 0, 1]), name="vote_value"),
        ]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.participant_id} on {self.statement_id}: {self.value}"


class Analysis(models.Model):
    """One computed opinion map. The newest per conversation is shown; older ones are pruned."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="analyses"
    )
    result = models.JSONField()
    vote_events = models.PositiveBigIntegerField(help_text="Votes cast or changed so far.")
    vote_count = models.PositiveIntegerField(help_text="Votes the map was computed from.")
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = ["computed_at", "id"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"analysis of {self.conversation_id} at {self.computed_at:%Y-%m-%d %H:%M}"

    @property
    def n_groups(self) -> int:
        return len(self.result.get("groups", []))
