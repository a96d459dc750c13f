"""The geography movements grow in: a tree of places plus overlay regions that cross it.

The tree (world → country → state → county → locality) is numbered in pre-order: every place
has `lft`/`rgt` so that "everything inside X" is the integer range X.lft..X.rgt. Organizations
copy their home place's `lft`, which makes place filters one indexed range on both SQLite and
PostgreSQL. Overlay regions (bioregions, macro-regions) are not in the tree; they are unions of
tree places, so "inside a region" is an OR of the members' ranges.
"""

from django.db import models
from django.db.models import Q


class PlaceKind(models.TextChoices):
    WORLD = "world", "World"
    COUNTRY = "country", "Country"
    STATE = "state", "State or province"
    COUNTY = "county", "County or district"
    LOCALITY = "locality", "Locality"
    BIOREGION = "bioregion", "Bioregion"
    MACROREGION = "macroregion", "Macro-region"


TREE_KINDS = [
    PlaceKind.WORLD,
    PlaceKind.COUNTRY,
    PlaceKind.STATE,
    PlaceKind.COUNTY,
    PlaceKind.LOCALITY,
]
OVERLAY_KINDS = [PlaceKind.BIOREGION, PlaceKind.MACROREGION]
LEVELS = {kind.value: depth for depth, kind in enumerate(TREE_KINDS)}


class PlaceQuerySet(models.QuerySet["Place"]):
    def tree(self) -> "PlaceQuerySet":
        return self.exclude(kind__in=OVERLAY_KINDS)

    def overlays(self) -> "PlaceQuerySet":
        return self.filter(kind__in=OVERLAY_KINDS)

    def countries(self) -> "PlaceQuerySet":
        return self.filter(kind=PlaceKind.COUNTRY)


class Place(models.Model):
    # Not indexed alone: the (kind, search_name) index serves look-ups by kind.
    kind = models.CharField(max_length=16, choices=PlaceKind.choices)
    name = models.CharField(max_length=200)
    # ASCII, lower-case name used by search and the geocoder ("Österreich" → "osterreich").
    search_name = models.CharField(max_length=200, db_index=True)
    slug = models.SlugField(max_length=120, unique=True)
    # ISO 3166-1 alpha-2 for countries, ISO 3166-2 for subdivisions, blank where none exists.
    iso_code = models.CharField(max_length=12, blank=True, db_index=True)
    # Where the place came from, e.g. "geonames:5378538" or "fips:06001".
    source_ref = models.CharField(max_length=40, blank=True, db_index=True)
    # Not indexed alone: the (parent, name) index serves look-ups of children.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,
    )
    depth = models.PositiveSmallIntegerField(default=0)
    lft = models.PositiveIntegerField(default=0, db_index=True)
    rgt = models.PositiveIntegerField(default=0)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.BigIntegerField(null=True, blank=True)
    # Overlay regions: the tree places whose union they are.
    members = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="overlays")
    description = models.TextField(blank=True)
    # Other names people type for this place, one per line: translations ("Deutschland"),
    # codes ("UK", "BC") and exonyms ("Bavaria"). Read by the geocoder.
    alternate_names = models.TextField(blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["lft", "name"]
        indexes = [
            models.Index(fields=["kind", "search_name"]),
            models.Index(fields=["parent", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_overlay(self) -> bool:
        return self.kind in OVERLAY_KINDS

    def contains_q(self, field: str = "place_lft") -> Q:
        """A filter on `field` (a copied `lft`) for everything at or below this place."""
        if self.is_overlay:
            q = Q(pk__in=[])
            for member in self.members.all():
                q |= Q(**{f"{field}__gte": member.lft, f"{field}__lte": member.rgt})
            return q
        return Q(**{f"{field}__gte": self.lft, f"{field}__lte": self.rgt})

    def ancestors(self) -> list["Place"]:
        """Root first, excluding self."""
        if self.is_overlay:
            return []
        return list(
            Place.objects.filter(lft__lt=self.lft, rgt__gt=self.rgt)
            .exclude(kind__in=OVERLAY_KINDS)
            .order_by("lft")
        )


class PlacesState(models.Model):
    """One row whose `version` goes up whenever places or regions change, so that per-process
    caches (the geocoder) know to rebuild."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"places version {self.version}"
