"""The bird's-eye view's cached figures: per place, how many groups work on each issue there.

A page over a million listings cannot count them per request, so a rebuild job (see
overview/services.py) writes one row per place holding every issue's figures, and the pages
read only the rows of the place and its sub-places.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Positions in each figures list, per issue: {"<bit>": [home, serving, coalitions, committed,
# recent]}, with the key "all" for every listing whatever its issues.
HOME, SERVING, COALITIONS, COMMITTED, RECENT = range(5)
FIGURES = 5
ALL = "all"


class OverviewBuild(models.Model):
    """One run of the rebuild job. The latest finished one dates the figures on the pages."""

    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The directory's version when the run started, so the tick can tell if listings changed.
    directory_version = models.BigIntegerField(default=0)
    places = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"overview build {self.pk}"


class PlaceFigures(models.Model):
    """Every issue's figures for one place (a tree place or an overlay region), as of a build.

    Places with nothing at all have no row: a missing row reads as zeros.
    """

    place = models.OneToOneField(
        "places.Place", on_delete=models.CASCADE, related_name="overview_figures"
    )
    # Listings of any issue (or none), for the totals column and the sort by total.
    groups = models.PositiveIntegerField(default=0)
    serving = models.PositiveIntegerField(default=0)
    coalitions = models.PositiveIntegerField(default=0)
    committed = models.PositiveIntegerField(default=0)
    recent = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)
    # Groups that alone connect two coalitions inside the place (the first ones are kept as
    # FragileBridge rows).
    bridges = models.PositiveIntegerField(default=0)
    # Pairs of groups inside the place one of which helped the other (a delivery the receiving
    # group confirmed); the first ones are kept as SupportTie rows.
    ties = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("place figures")
        verbose_name_plural = _("place figures")

    def __str__(self) -> str:
        return f"figures of place {self.place_id}"


class FragileBridge(models.Model):
    """A group that is the only link between two coalitions inside a place: without it, the
    two (and the groups around each) would no longer be connected by any shared member."""

    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    # How many separate parts of the coalition graph the group holds together (2 or more).
    parts = models.PositiveSmallIntegerField(default=2)
    # Every coalition the group belongs to inside the place, for the drawing.
    coalition_ids = models.JSONField(default=list)
    rank = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["place", "rank"]
        indexes = [models.Index(fields=["place", "rank"])]

    def __str__(self) -> str:
        return f"{self.group_id} links {self.first_id} and {self.second_id}"


class SupportTie(models.Model):
    """Two groups inside a place tied by help one gave the other, as of a build. Only ties both
    groups show on their pages are kept here by name; the others are only counted."""

    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    helper = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    helped = models.ForeignKey("directory.Organization", on_delete=models.CASCADE, related_name="+")
    deliveries = models.PositiveIntegerField(default=1)
    rank = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["place", "rank"]
        indexes = [models.Index(fields=["place", "rank"])]

    def __str__(self) -> str:
        return f"{self.helper_id} helped {self.helped_id}"


class PageParts(models.Model):
    """The default view of a wide bird's-eye page (world, countries, regions) as worked out
    by the rebuild for its build, so that no web process works it out on a first view
    (see overview/pages.py). Pickled: the page's figures objects, matrix rows and map data."""

    build = models.ForeignKey(OverviewBuild, on_delete=models.CASCADE, related_name="+")
    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=16)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["build", "place", "language"], name="overview_page_parts_unique"
            )
        ]

    def __str__(self) -> str:
        return f"page parts of place {self.place_id} for build {self.build_id}"
