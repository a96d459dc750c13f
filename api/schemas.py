"""What goes in and out of the API. Output schemas list public fields one by one, so nothing
private can leak in by being added to a model later."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from coalitions.models import MembershipStatus
from directory.models import DESCRIPTION_MAX_LENGTH, OrganizationKind, OrganizationStatus
from directory.selectors import MAX_RADIUS_KM
from places.models import PlaceKind


class ErrorItem(Schema):
    loc: list[str]
    msg: str
    type: str = "value_error"


class ErrorOut(Schema):
    detail: list[ErrorItem] | str


class PlaceRef(Schema):
    slug: str
    name: str
    kind: PlaceKind


class PlaceOut(PlaceRef):
    iso_code: str
    depth: int
    latitude: float | None
    longitude: float | None
    population: int | None
    parent: str | None = Field(None, description="Slug of the place this one is inside.")

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        parent = getattr(obj, "parent", None)
        return parent.slug if parent is not None else None


class PlaceDetailOut(PlaceOut):
    ancestors: list[PlaceRef] = Field(description="From the world down, excluding this place.")
    members: list[PlaceRef] = Field(description="For a region: the places it is made of.")
    regions: list[PlaceRef] = Field(description="Regions (e.g. bioregions) this place belongs to.")
    organizations: int
    coalitions: int


class PlaceFilters(Schema):
    parent: str = Field("", description="Slug of a place: list its children. Empty: the top level.")
    kind: PlaceKind | None = None


class IssueAreaRef(Schema):
    slug: str
    name: str


class IssueAreaOut(IssueAreaRef):
    description: str
    related: list[IssueAreaRef] = Field(description="Issue areas that crosshatch with this one.")


class OrganizationFilters(Schema):
    q: str = Field("", max_length=200, description="Words in the name or description.")
    place: str = Field("", description="Place slug; a region includes every place inside it.")
    issue: str = Field("", description="Issue area slug.")
    kind: OrganizationKind | None = None
    status: OrganizationStatus | None = None
    near: str = Field("", description="Place slug: only organizations near it, nearest first.")
    radius_km: float = Field(50.0, gt=0, le=MAX_RADIUS_KM, description="Radius for `near`, in km.")
    after: int | None = Field(
        None,
        ge=1,
        description=(
            "Id of the last organization of the page before: the page starts right after it. "
            "Follow it page by page to reach every result; `offset` stops at 10,000."
        ),
    )


class CoalitionFilters(Schema):
    q: str = Field("", max_length=200)
    place: str = ""
    issue: str = ""
    status: OrganizationStatus | None = None


class OrganizationRef(Schema):
    slug: str
    name: str
    kind: OrganizationKind


class LinkOut(Schema):
    label: str = Field(description="What the link is for, e.g. “Support Request”.")
    url: str


class OrganizationOut(OrganizationRef):
    id: int
    description: str
    issue_areas: list[str] = Field(description="Issue area slugs.")
    home_place: PlaceRef | None
    latitude: float | None
    longitude: float | None
    website: str
    social_links: dict[str, str]
    public_email: str
    public_phone: str
    languages: list[str]
    status: OrganizationStatus
    last_confirmed_at: datetime | None
    freshness: Literal["fresh", "fading", "stale"] = Field(
        "fresh",
        description="fresh: confirmed (or listed) within the check-in interval; fading: past "
        "it; stale: past twice it.",
    )
    freshness_label: str = Field("", description="In words, e.g. “Confirmed 3 months ago”.")
    is_sample: bool = Field(description="True for fictional listings shipped as examples.")
    distance_km: float | None = Field(None, description="Only with `near`.")
    links: list[LinkOut] = Field(
        default_factory=list, description="The group's other web links, each with what it is for."
    )
    service_areas: list[PlaceRef] = Field(
        default_factory=list,
        description="Places the group serves beyond its home place, by name (up to 500).",
    )
    service_area_count: int = 0


class OrganizationSearchPage(Schema):
    items: list[OrganizationOut]
    count: int
    serving_elsewhere: list[OrganizationOut] = Field(
        default_factory=list,
        description="With `place`, on the first page: groups based outside the place whose "
        "service area reaches into it (up to 100), by name.",
    )
    serving_elsewhere_count: int = 0


class OrganizationIn(Schema):
    """A new listing. Every text has a limit, so nothing unbounded reaches the database."""

    name: str = Field(min_length=1, max_length=300)
    kind: OrganizationKind = OrganizationKind.LOCAL_GROUP
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    home_place: str = Field(
        "", max_length=140, description="Slug of a country, state, county or town (not a region)."
    )
    issue_areas: list[str] = Field(
        default_factory=list, max_length=63, description="Issue area slugs."
    )
    website: str = Field("", max_length=500, description="An http(s) address.")
    social_links: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="Name → http(s) address."
    )
    public_email: str = Field("", max_length=254)
    public_phone: str = Field("", max_length=40)
    languages: list[str] = Field(default_factory=list, max_length=20)
    status: OrganizationStatus = OrganizationStatus.ACTIVE


class MembershipOut(Schema):
    id: int
    coalition: OrganizationRef
    member: OrganizationRef
    status: MembershipStatus
    created_at: datetime
    decided_at: datetime | None


class MembershipRequestIn(Schema):
    coalition: str = Field(max_length=140, description="Slug of the coalition.")
    member: str = Field(max_length=140, description="Slug of the organization that joins.")


class CoalitionGraphOut(Schema):
    root: str
    nodes: list[OrganizationRef]
    levels: dict[str, int] = Field(description="Slug → steps below (+) or above (−) the root.")
    edges: list[tuple[str, str]] = Field(description="(coalition slug, member slug) pairs.")
    truncated: bool
