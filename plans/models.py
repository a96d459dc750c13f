"""Plans: what an assembly does about a decision it adopted, and how far it got.

A plan hangs off one adopted proposal. Its tasks are owned by member groups of the coalition,
which accept or decline them and report progress with a note each time (kept as the task's
history). A plan may contribute to a plan of a wider coalition its organization belongs to, so
a state plan's progress includes its cities' plans. Progress counters live on the plan row,
moved with F() by the services, so no page counts tasks.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_WEIGHT = 10


class PlanState(models.TextChoices):
    ACTIVE = "active", _("Under way")
    DROPPED = "dropped", _("Dropped")


class Plan(models.Model):
    proposal = models.OneToOneField(
        "assemblies.Proposal", on_delete=models.CASCADE, related_name="plan"
    )
    # Copied from the proposal so the accountability page and selectors filter without a join.
    assembly = models.ForeignKey(
        "assemblies.Assembly", on_delete=models.CASCADE, related_name="plans"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=5000)
    # The person answerable for the plan; told when a task is done, blocked or overdue.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Due dates are days on this clock (the coalition's place), so "overdue" starts at the
    # local midnight, not at UTC's.
    time_zone = models.CharField(max_length=64, default="UTC")
    state = models.CharField(max_length=8, choices=PlanState.choices, default=PlanState.ACTIVE)
    drop_reason = models.TextField(blank=True, max_length=3000)
    # A wider coalition's plan this one counts towards, as a task of `contribution_weight`.
    contributes_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions"
    )
    contribution_weight = models.PositiveSmallIntegerField(default=1)
    # Kept by the services: tasks counted (not dropped), their weights, and Σ weight × progress.
    task_count = models.PositiveIntegerField(default=0)
    dropped_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    blocked_count = models.PositiveIntegerField(default=0)
    weight_total = models.PositiveIntegerField(default=0)
    weighted_progress = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title

    @property
    def own_percent(self) -> float | None:
        """Progress of the plan's own tasks, weighted; None when no task counts yet."""
        if not self.weight_total:
            return None
        return self.weighted_progress / self.weight_total


class Acceptance(models.TextChoices):
    ASKED = "asked", _("Waiting for the group to accept")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DOING = "doing", _("Under way")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")
    DROPPED = "dropped", _("Dropped")


# Tasks still to do: the ones that can fall overdue.
LIVE = (TaskStatus.OPEN, TaskStatus.DOING, TaskStatus.BLOCKED)


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    owner_group = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="plan_tasks"
    )
    acceptance = models.CharField(
        max_length=8, choices=Acceptance.choices, default=Acceptance.ASKED
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    progress = models.PositiveSmallIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(default=1)
    # Set once by a conditional UPDATE when the overdue notice goes out; cleared when the due
    # date moves, so each due date is reported overdue at most once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["plan", "id"], name="task_page"),
            models.Index(fields=["status", "due_on"], name="task_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def counted(self) -> bool:
        return self.status != TaskStatus.DROPPED


class TaskUpdate(models.Model):
    """One line of a task's history: who said what, and where the task stood after it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=TaskStatus.choices)
    progress = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["task", "-id"], name="task_history")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.status} {self.progress}%"
