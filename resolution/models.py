"""Coordinators' decisions about duplicates, the pairs waiting for one, and why each record
belongs to its organization.

Decisions name records by (source, identity), the record's stable identity inside its source
(see sources.models), not by row position or database id, so a decision outlives re-imports.
"""

from django.conf import settings
from django.db import models


class MatchDecision(models.Model):
    """A coordinator said two records are (or are not) the same group. The latest word on a
    pair wins; every later resolution applies it."""

    source_a = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="+")
    identity_a = models.CharField(max_length=200)
    source_b = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="+")
    identity_b = models.CharField(max_length=200)
    same = models.BooleanField()
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_a", "identity_a", "source_b", "identity_b"],
                name="match_decision_pair",
            )
        ]

    def __str__(self) -> str:
        verdict = "same" if self.same else "not the same"
        return f"{self.identity_a} / {self.identity_b}: {verdict}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    MERGED = "merged", "Merged"
    KEPT_APART = "kept_apart", "Kept apart"


class ReviewPair(models.Model):
    """Two records the model is unsure about, shown side by side to a coordinator."""

    record_a = models.ForeignKey("sources.SourceRecord", on_delete=models.CASCADE, related_name="+")
    record_b = models.ForeignKey("sources.SourceRecord", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    # {"name": [match weight, "level"], ...}: splink's per-comparison match weights.
    explanation = models.JSONField(default=dict)
    status = models.CharField(
        max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record_a", "record_b"], name="review_pair_unique")
        ]

    def __str__(self) -> str:
        return f"review {self.record_a_id}/{self.record_b_id} ({self.probability:.2f})"


class RecordLink(models.Model):
    """Why a record belongs to its organization: the strongest match that put it there, or a
    coordinator's decision. Records alone in their organization have no link."""

    record = models.OneToOneField(
        "sources.SourceRecord", on_delete=models.CASCADE, related_name="resolution_link"
    )
    matched_with = models.ForeignKey(
        "sources.SourceRecord", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    probability = models.FloatField(null=True)
    explanation = models.JSONField(default=dict)
    decided = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"link of record {self.record_id}"


class OrganizationMerge(models.Model):
    """One organization's records moved into another. The one merged away is hidden, never
    deleted, so its private contact, admins and field provenance wait for a split that puts
    its records back."""

    kept = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    record_ids = models.JSONField(default=list)
    # Whether the merged organization was visible before, so a split only shows again what
    # the merge hid (not a listing a coordinator had hidden for another reason).
    was_visible = models.BooleanField(default=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"merge of {self.merged_id} into {self.kept_id}"


class ResolutionRun(models.Model):
    """What the last duplicate finding compared and what it left out to keep its work bounded,
    shown on the review queue."""

    started_at = models.DateTimeField(auto_now_add=True)
    records = models.PositiveIntegerField(default=0)
    pairs_compared = models.BigIntegerField(default=0)
    # Pairs that comparing every record of each large block with every other would have made.
    pairs_unbounded = models.BigIntegerField(default=0)
    # [{"kind": "name", "value": "new york city", "records": 1000, "pairs": 499500,
    #   "compared": 19000}, ...]: the largest blocks compared only among neighbours.
    capped_blocks = models.JSONField(default=list)
    capped_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"resolution run {self.started_at:%Y-%m-%d %H:%M}"
