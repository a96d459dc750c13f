"""Organizations the hub lists but does not own, and the issue areas they work on."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _


class IssueArea(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Small, stable integer so an organization's issue areas fit in one bit mask for the map index.
    bit = models.PositiveSmallIntegerField(unique=True)
    # Issues that crosshatch (housing ↔ transportation): where connective tissue can grow.
    related = models.ManyToManyField("self", through="IssueLink", symmetrical=False, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IssueLink(models.Model):
    """A cross-link between two issue areas, stored once per pair (from.slug < to.slug)."""

    from_issue = models.ForeignKey(IssueArea, on_delete=models.CASCADE, related_name="links_out")
    to_issue = models.ForeignKey(IssueArea, on_delete=models.CASCADE, related_name="links_in")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_issue", "to_issue"], name="issue_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(from_issue=models.F("to_issue")), name="issue_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_issue} ↔ {self.to_issue}"


# Longest free text a listing keeps. Checked by the forms, the API and the services rather than
# by the columns, so no migration: the longest description in the open lists we import runs to
# about 3,000 characters, and a page of text is plenty for a group to say what it does.
DESCRIPTION_MAX_LENGTH = 10_000
CONTACT_NOTES_MAX_LENGTH = 5_000


class OrganizationKind(models.TextChoices):
    LOCAL_GROUP = "local_group", "Local group"
    CHAPTER = "chapter", "Chapter"
    UNION_LOCAL = "union_local", "Union local"
    COOP = "coop", "Co-operative"
    NETWORK = "network", "Network"
    COALITION = "coalition", "Coalition"
    OTHER = "other", "Other"


class OrganizationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DISSOLVED = "dissolved", "No longer exists"
    UNKNOWN = "unknown", "Unknown"


class Standing(models.TextChoices):
    """Whether other groups have vouched for a group (vouching/). Only a verified group votes in
    assemblies, commits to calls, sees what a coalition shows its members and receives another
    group's contact through an introduction: a disruptor cannot simply list a group and act."""

    VERIFIED = "verified", _("Verified")
    UNVERIFIED = "unverified", _("Waiting for two vouches")
    SUSPENDED = "suspended", _("Suspended")


class IssueAreaOrigin(models.TextChoices):
    """Who chose an organization's issue areas. The automatic tagger only ever replaces its own
    choices, so a person's correction survives every later re-tag and re-import."""

    NONE = "", "Not tagged yet"
    AUTO = "auto", "Suggested automatically"
    COORDINATOR = "coordinator", "Chosen by a person"


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def public(self) -> "OrganizationQuerySet":
        """Listings anyone may see (everything except hidden ones)."""
        return self.filter(is_hidden=False)

    def active(self) -> "OrganizationQuerySet":
        return self.filter(status=OrganizationStatus.ACTIVE)

    def coalitions(self) -> "OrganizationQuerySet":
        return self.filter(kind=OrganizationKind.COALITION)


class Organization(models.Model):
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=140, unique=True)
    kind = models.CharField(
        max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.LOCAL_GROUP
    )
    description = models.TextField(blank=True)
    issue_areas = models.ManyToManyField(IssueArea, blank=True, related_name="organizations")
    # Bit mask of issue_areas' `bit`s, kept by the services that change issue areas; lets the
    # map index and roll-ups filter by issue without a join.
    issue_mask = models.BigIntegerField(default=0)
    issue_areas_origin = models.CharField(
        max_length=12, choices=IssueAreaOrigin.choices, default=IssueAreaOrigin.NONE, blank=True
    )
    home_place = models.ForeignKey(
        "places.Place",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
    )
    # Copy of home_place.lft: "inside place X" becomes one indexed integer range.
    place_lft = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    website = models.URLField(max_length=500, blank=True)
    # {"facebook": url, "instagram": url, ...}
    social_links = models.JSONField(default=dict, blank=True)
    public_email = models.EmailField(blank=True)
    public_phone = models.CharField(max_length=40, blank=True)
    # BCP 47 language codes, e.g. ["en", "es"].
    languages = models.JSONField(default=list, blank=True)
    # Links beyond the website, each with what it is for:
    # [{"label": "Support request", "url": "https://..."}, ...].
    links = models.JSONField(default=list, blank=True)
    # The places a group serves beyond its home place: a chapter's ZIP codes' towns, a
    # charity's villages. Counts and coverage treat the group as present in each of them.
    service_areas = models.ManyToManyField("places.Place", blank=True, related_name="served_by")
    status = models.CharField(
        max_length=12,
        choices=OrganizationStatus.choices,
        default=OrganizationStatus.ACTIVE,
        db_index=True,
    )
    # Listings already in the hub, imported ones and those a coordinator adds count as verified;
    # a group that lists itself or newly claims a listing waits for two vouches.
    standing = models.CharField(max_length=12, choices=Standing.choices, default=Standing.VERIFIED)
    last_confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the last periodic check-in was made: mailed to the admins, or, for a listing with
    # none, passed to its coordinators' stale list. At most one per interval (directory/freshness).
    checkin_at = models.DateTimeField(null=True, blank=True)
    # When the group itself took charge of its listing (signed link or approved request).
    claimed_at = models.DateTimeField(null=True, blank=True)
    is_sample = models.BooleanField(
        default=False, help_text="Fictional listing created as sample data."
    )
    is_hidden = models.BooleanField(
        default=False, help_text="Hidden from public pages, feeds and the API."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["place_lft", "status"]),
            models.Index(fields=["kind", "place_lft"]),
            models.Index(fields=["name", "id"]),
            # Freshness (directory/freshness.py). Both lead with the listed-group equalities
            # rather than being partial indexes: SQLite without ANALYZE statistics then still
            # prefers them to the plain status index. The chart of a region: one range scan,
            # counted from this index alone.
            models.Index(
                fields=["status", "is_hidden", "place_lft", "last_confirmed_at"],
                name="org_listed_place_confirmed",
            ),
            # Listings whose check-in is due, and only those: a check-in moves a listing out
            # of this range until the next interval, so the chore never rereads the rest.
            models.Index(
                "status",
                "is_hidden",
                Greatest(
                    Coalesce("last_confirmed_at", "created_at"),
                    Coalesce("checkin_at", "created_at"),
                ),
                "id",
                name="org_listed_checkin_due",
            ),
            # Stale listings oldest first, for places holding many listings: walked from the
            # oldest, with place_lft at hand to test each entry without reading its row.
            models.Index(
                "status",
                "is_hidden",
                Coalesce("last_confirmed_at", "created_at"),
                "id",
                "place_lft",
                name="org_listed_confirmed_basis",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_coalition(self) -> bool:
        return self.kind == OrganizationKind.COALITION

    @property
    def is_verified(self) -> bool:
        return self.standing == Standing.VERIFIED


class PrivateContact(models.Model):
    """Contact details seen only by the organization's admins and regional coordinators.

    Kept in its own table so that no public query can select it by accident.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="private_contact"
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Private contact of {self.organization}"


class OrganizationAdmin(models.Model):
    """A person who administers an organization's listing."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="organization_admin_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} admin of {self.organization}"


class DirectoryState(models.Model):
    """One row whose `version` goes up whenever listings change, so that per-process caches
    (the map index, place roll-ups) know cheaply when to reload."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"directory version {self.version}"
