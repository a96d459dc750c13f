"""Reads of the directory, already limited to what the asking person may see."""

import math
from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, F, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Sqrt
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.http import Http404
from django.utils import timezone

from directory import freshness, permissions, search
from directory.models import (
    DirectoryState,
    IssueArea,
    IssueLink,
    Organization,
    OrganizationKind,
    OrganizationQuerySet,
    OrganizationStatus,
    PrivateContact,
)
from places.models import Place

if TYPE_CHECKING:
    from directory import mapindex

KM_PER_DEGREE = 111.195
# Equirectangular distances and the grid cells behind `near` are sound up to this radius.
MAX_RADIUS_KM = 500.0
# Up to this many matches, rows are fetched by id and sorted by name; beyond, the name index
# is walked and each row checked against the match list. (Measured crossover at 1M rows.)
SORT_FETCHED_MAX = 3_000
# Up to this many matches, their ids are read from the index in one pass (and counted there).
IDS_MAX = 20_000
# Beyond this many matches, sorting by name costs more than it is worth: results come newest
# first, and only the newest RESULT_WINDOW of them can be paged through.
SORT_BY_NAME_MAX = 50_000
RESULT_WINDOW = 10_100
# Live counts may lag the directory by this much rather than being recounted on every change.
COUNTS_MAX_AGE = 10.0


class SearchResults(OrganizationQuerySet):
    """Search results that know how many they are, taken from the index instead of a COUNT.

    The known count holds only while the filters are the ones the search set: filtering the
    results further or slicing them makes `count()` ask the database again.
    """

    _known_count: int | None = None
    _count_key: str | None = None
    _remember_as: tuple[Any, ...] | None = None
    # Where pages of these results come from when something cheaper than the database knows
    # their order: (start, stop) → ids of those positions.
    _page_ids: Callable[[int, int], list[int]] | None = None
    # "name", "newest" or "distance": how the results are ordered, for pages to say so.
    order: str = "name"

    def _clone(self) -> "SearchResults":
        clone = super()._clone()  # type: ignore[misc]
        clone._known_count = self._known_count
        clone._count_key = self._count_key
        clone._remember_as = self._remember_as
        clone._page_ids = self._page_ids
        clone.order = self.order
        return clone

    def _where_key(self) -> str:
        return str(self.query.where)

    def with_count(self, n: int | None) -> "SearchResults":
        clone = self._clone()
        clone._known_count = n
        clone._count_key = clone._where_key()
        return clone

    def with_page_ids(self, page_ids: Callable[[int, int], list[int]]) -> "SearchResults":
        """Results in name order whose positions something else knows: a slice becomes a
        look-up of its own ids, re-checked against the filters."""
        clone = self._clone()
        clone._page_ids = page_ids
        return clone

    def __getitem__(self, k: Any) -> Any:
        if (
            isinstance(k, slice)
            and self._page_ids is not None
            and self._result_cache is None
            and k.step is None
            and (k.start or 0) >= 0
            and (k.stop is None or k.stop >= 0)
            and self._count_key == self._where_key()
        ):
            start = k.start or 0
            stop = k.stop
            if stop is None:
                stop = self._known_count if self._known_count is not None else start + RESULT_WINDOW
            ids = self._page_ids(start, stop)
            page = self.filter(pk__in=ids).order_by("name", "id")
            page._page_ids = None
            page._known_count = len(ids)
            page._count_key = page._where_key()
            return page
        return super().__getitem__(k)

    def remembered(self, key: tuple[Any, ...]) -> "SearchResults":
        """Count once per directory version and remember it under `key` (for databases whose
        index cannot count without reading rows)."""
        clone = self._clone()
        clone._count_key = clone._where_key()
        clone._remember_as = key
        return clone

    def count(self) -> int:
        if self._count_key != self._where_key():
            return super().count()
        if self.query.is_sliced:
            if self._known_count is None:
                return super().count()
            # A slice of known results: how many of them fall inside it.
            low, high = self.query.low_mark, self.query.high_mark
            end = self._known_count if high is None else min(high, self._known_count)
            return max(0, end - low)
        if self._known_count is not None:
            return self._known_count
        if self._remember_as is not None:
            return _count_remembered(self._remember_as, super().count)
        return super().count()


# Counts of recent searches, per process: (directory version, search) → count.
_remembered_counts: "OrderedDict[tuple[Any, ...], int]" = OrderedDict()
REMEMBERED_COUNTS = 4096


def _count_remembered(key: tuple[Any, ...], compute: Callable[[], int]) -> int:
    # Inside a transaction the rows counted may still be rolled back: count, do not remember.
    if connection.in_atomic_block:
        return compute()
    full_key = (directory_version(), *key)
    found = _remembered_counts.get(full_key)
    if found is not None:
        _remembered_counts.move_to_end(full_key)
        return found
    n = compute()
    _remembered_counts[full_key] = n
    while len(_remembered_counts) > REMEMBERED_COUNTS:
        _remembered_counts.popitem(last=False)
    return n


def _results(qs: OrganizationQuerySet, *, order: str = "name") -> SearchResults:
    results = SearchResults(model=Organization, query=qs.query.chain(), using=qs.db)
    results.order = order
    return results


def visible_organizations(user: Any) -> OrganizationQuerySet:
    """Everything public, plus hidden listings the user is responsible for."""
    qs = Organization.objects.all()
    if permissions.is_site_coordinator(user):
        return qs
    visible = Q(is_hidden=False)
    own = permissions.administered_organization_ids(user)
    if own:
        visible |= Q(pk__in=own)
    scope = permissions.coordinator_scope_q(user)
    if scope is not None:
        visible |= scope
    return qs.filter(visible)


def issue_area_resolve(issue: IssueArea | str | None) -> IssueArea | None:
    if issue is None or issue == "":
        return None
    if isinstance(issue, IssueArea):
        return issue
    found = IssueArea.objects.filter(slug=issue).first()
    if found is None:
        raise ValidationError({"issue": f"There is no issue area called “{issue}”."})
    return found


def issue_mask_q(issue: IssueArea) -> Q:
    """Organizations working on `issue`, tested on the bit mask to avoid a join."""
    return Q(GreaterThan(F("issue_mask").bitand(1 << issue.bit), 0))


def place_ranges(place: Place) -> tuple[tuple[int, int], ...]:
    """The tree ranges a place covers: its own, or its members' for an overlay region."""
    if place.is_overlay:
        return tuple(sorted((m.lft, m.rgt) for m in place.members.all()))
    return ((place.lft, place.rgt),)


def _check_choice(field: str, value: str, choices: list[str]) -> None:
    if value and value not in choices:
        raise ValidationError({field: f"“{value}” is not one of: {', '.join(choices)}."})


def _near_box(near: Place, radius_km: float) -> tuple[float, float, float, float, float]:
    """(south, west, north, east, longitude shrink) of the box around `near`, checked."""
    if near.latitude is None or near.longitude is None:
        raise ValidationError({"near": f"{near.name} has no known coordinates."})
    if math.isnan(radius_km) or not (0 < radius_km <= MAX_RADIUS_KM):
        raise ValidationError(
            {"radius_km": f"Choose a radius above 0 and up to {MAX_RADIUS_KM:g} km."}
        )
    shrink = max(math.cos(math.radians(near.latitude)), 0.01)
    dlat = radius_km / KM_PER_DEGREE
    dlng = min(dlat / shrink, 180.0)
    lat, lng = near.latitude, near.longitude
    return lat - dlat, lng - dlng, lat + dlat, lng + dlng, shrink


def organization_search(
    *,
    user: Any,
    q: str = "",
    place: Place | None = None,
    issue: IssueArea | str | None = None,
    kind: str = "",
    status: str = "",
    near: Place | None = None,
    radius_km: float = 50.0,
) -> SearchResults:
    """Organizations matching every given filter.

    `place` may be a tree place or an overlay region: either way everything below it counts.
    Results are ordered by name; with `near`, by distance (each carries `distance_km`); when
    more than SORT_BY_NAME_MAX match, newest first (`results.order == "newest"`), of which the
    first RESULT_WINDOW can be paged through. Hidden listings appear only to site
    coordinators. Bad values raise ValidationError naming the field.
    """
    _check_choice("kind", kind, OrganizationKind.values)
    _check_choice("status", status, OrganizationStatus.values)
    issue_area = issue_area_resolve(issue)
    box = _near_box(near, radius_km) if near is not None else None
    sees_hidden = permissions.is_site_coordinator(user)
    spec = search.Spec(
        text=q,
        ranges=place_ranges(place) if place is not None else None,
        issue_bit=issue_area.bit if issue_area is not None else None,
        kind=kind,
        status=status,
        box=box[:4] if box is not None else None,
        include_hidden=sees_hidden,
    )
    listed_by_index = _listed_by_map_index(spec)
    if listed_by_index is not None:
        return listed_by_index
    if spec.is_empty:
        listed = Organization.objects.all() if sees_hidden else Organization.objects.public()
        return _results(listed.order_by("name", "id")).with_count(_everything_count(sees_hidden))
    # The index leaves hidden listings out by itself (see search.Spec.include_hidden); a second
    # test on the table would make every match read its row.
    base = Organization.objects.all()

    vendor = search.vendor_for(base)
    if near is not None and box is not None:
        within = _within(base.filter(search.match_filter(spec, vendor)), near, box)
        return within.remembered((vendor, spec, near.pk, radius_km))
    # One pass over the index gives the ids of every match, if not too many: their number is
    # the count, and pages are then read from the table without asking the index again.
    ids = _matching_ids(vendor, spec, base.db)
    if ids is not None and vendor == "postgresql":
        # Already in name order (see search.matching_ids).
        qs = base.filter(pk__in=search.ids_subquery(ids, vendor)).order_by("name", "id")
        return _results(qs).with_count(len(ids)).with_page_ids(lambda a, b: ids[a:b])
    if ids is not None:
        matched = search.ids_subquery(ids, vendor)
        if len(ids) > SORT_FETCHED_MAX:
            # `id + 0` hides the id from the planner, so it walks the name index and checks
            # each row instead of fetching every match and sorting them all.
            qs = base.alias(id_plus=F("id") + 0).filter(id_plus__in=matched)
        else:
            qs = base.filter(pk__in=matched)
        return _results(qs.order_by("name", "id")).with_count(len(ids))
    if vendor != "sqlite":
        if spec.terms:
            qs = base.filter(search.match_filter(spec, vendor)).order_by("name", "id")
            return _results(qs).remembered((vendor, spec))
        qs = base.filter(search.column_filter(spec)).order_by("name", "id")
        return _results(qs).with_count(_map_index_count(spec)).remembered((vendor, spec))

    n = _count_remembered(("sqlite", spec), lambda: search.count(spec, base.db) or 0)
    if n > SORT_BY_NAME_MAX:
        bound = search.newest_bound(spec, RESULT_WINDOW, base.db) or 0
        # Walk the newest rows down to `bound`, checking each against the (bounded) match list.
        qs = base.alias(id_plus=F("id") + 0).filter(pk__gte=bound, id_plus__in=_rowids(spec, bound))
        return _results(qs.order_by("-id"), order="newest").with_count(n)
    qs = base.alias(id_plus=F("id") + 0).filter(id_plus__in=_rowids(spec, 0))
    return _results(qs.order_by("name", "id")).with_count(n)


# Id lists of recent searches, per process: (directory version, vendor, search) → ids (as
# 8-byte integers, a few hundred KB at most each), or None when there were more than IDS_MAX.
_recent_ids: "OrderedDict[tuple[Any, ...], array[int] | None]" = OrderedDict()
RECENT_IDS = 32


def _matching_ids(vendor: str, spec: search.Spec, using: str) -> list[int] | None:
    key = (directory_version(), vendor, spec)
    cacheable = not connection.in_atomic_block
    if cacheable and key in _recent_ids:
        _recent_ids.move_to_end(key)
        kept = _recent_ids[key]
        return kept.tolist() if kept is not None else None
    ids: list[int] | None = search.matching_ids(spec, IDS_MAX + 1, using)
    if ids is not None and len(ids) > IDS_MAX:
        ids = None
    if cacheable:
        _recent_ids[key] = array("q", ids) if ids is not None else None
        while len(_recent_ids) > RECENT_IDS:
            _recent_ids.popitem(last=False)
    return ids


def _rowids(spec: search.Spec, bound: int) -> RawSQL:
    fts = search.FTS_TABLE
    sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s AND rowid >= %s"  # noqa: S608
    return RawSQL(sql, [search.fts5_query(spec), bound])  # noqa: S611


def _everything_count(sees_hidden: bool) -> int | None:
    total = search.table_count()
    if total is None:
        return None if sees_hidden else directory_counts()["organizations"]
    if sees_hidden:
        return total
    hidden = search.hidden_count()
    return None if hidden is None else total - hidden


def _within(
    qs: OrganizationQuerySet, near: Place, box: tuple[float, float, float, float, float]
) -> SearchResults:
    south, west, north, east, shrink = box
    lat0, lng0 = near.latitude, near.longitude
    assert lat0 is not None and lng0 is not None
    # Equirectangular distance: within a few hundred km it is off by well under 1%, and it is
    # plain arithmetic, so it runs the same on SQLite and PostgreSQL.
    dy = F("latitude") - lat0
    dx = (F("longitude") - lng0) * shrink
    squared = dy * dy + dx * dx
    limit = north - lat0
    qs = (
        qs.filter(latitude__gte=south, latitude__lte=north)
        .alias(distance_sq=squared)
        .filter(LessThanOrEqual(F("distance_sq"), limit * limit))
        .annotate(distance_km=Sqrt(squared) * KM_PER_DEGREE)
        # Nearest first, but listings unconfirmed past the check-in interval after the others:
        # a group that may have stopped is a poor first answer to "who is near me".
        .alias(staleness=freshness.staleness_rank(timezone.now()))
        .order_by("staleness", "distance_sq", "id")
    )
    return _results(qs, order="distance")


def get_organization_for_user(
    user: Any, pk_or_slug: int | str, *, write: bool = False
) -> Organization:
    """The one access function for a single listing: 404 if unseen, 403 if not editable."""
    key = str(pk_or_slug)
    # Digits are an id, unless too long for a 64-bit integer (then they can only be a slug).
    lookup = (
        Q(pk=int(key)) if key.isascii() and key.isdigit() and len(key) <= 18 else Q(slug=key[:140])
    )
    org = Organization.objects.select_related("home_place").filter(lookup).first()
    if org is None or not permissions.can_see_organization(user, org):
        raise Http404("No such organization.")
    if write and not permissions.can_edit_organization(user, org):
        raise PermissionDenied("Only this organization's admins can change its listing.")
    return org


def organization_private_contact_for_user(user: Any, org: Organization) -> PrivateContact | None:
    if not permissions.can_see_private_contact(user, org):
        return None
    return PrivateContact.objects.filter(organization=org).first()


# Per-process copy of the taxonomy, kept for one directory version (editing the taxonomy bumps
# it, see directory/apps.py). Every search form and place page needs it.
_issue_areas_cache: tuple[int, list[IssueArea]] | None = None


def issue_areas_list() -> list[IssueArea]:
    """The taxonomy with each area's cross-links, both directions, prefetched."""
    global _issue_areas_cache
    version = directory_version()
    cached = _issue_areas_cache
    if cached is not None and cached[0] == version and not connection.in_atomic_block:
        return list(cached[1])
    areas = list(
        IssueArea.objects.prefetch_related(
            Prefetch("links_out", queryset=IssueLink.objects.select_related("to_issue")),
            Prefetch("links_in", queryset=IssueLink.objects.select_related("from_issue")),
        ).order_by("name")
    )
    # What is read inside a transaction may yet be rolled back.
    if not connection.in_atomic_block:
        _issue_areas_cache = (version, areas)
    return list(areas)


def issue_area_related(issue: IssueArea) -> list[IssueArea]:
    """Issue areas that crosshatch with `issue`, whichever way the link was recorded."""
    return list(
        IssueArea.objects.filter(Q(links_in__from_issue=issue) | Q(links_out__to_issue=issue))
        .distinct()
        .order_by("name")
    )


def directory_version() -> int:
    version = DirectoryState.objects.values_list("version", flat=True).order_by("pk").first()
    return int(version or 0)


# Per-process cache of counts, keyed by place and invalidated by the directory version.
def organizations_serving(place: Place) -> OrganizationQuerySet:
    """Public listings based outside `place` whose service area reaches into it: a chapter
    based in one town that serves the ZIP codes of its neighbours counts there too."""
    through = Organization.service_areas.through
    serving = through.objects.filter(place.contains_q("place__lft")).values("organization_id")
    return (
        Organization.objects.public()
        .filter(pk__in=serving)
        .exclude(place.contains_q("place_lft"))
        .order_by("name", "id")
    )


_counts_cache: dict[int | None, tuple[int, dict[str, int]]] = {}


def directory_counts(place: Place | None = None) -> dict[str, int]:
    """Public counts for the home page and place pages: organizations, coalitions, active ones,
    and places with listings (at or below `place`)."""
    version = directory_version()
    key = place.pk if place is not None else None
    cached = _counts_cache.get(key)
    if cached is not None and cached[0] == version and not connection.in_atomic_block:
        return dict(cached[1])
    ranges = place_ranges(place) if place is not None else None
    counts = _index_counts(ranges) or _map_index_counts(ranges) or _sql_counts(place)
    located = Organization.objects.filter(place_lft__isnull=False)
    if place is not None:
        located = located.filter(place.contains_q("place_lft"))
    # Counted on the place index alone (hidden listings included) so it never reads rows.
    counts["places"] = located.values("place_lft").distinct().count()
    # Groups based elsewhere that serve places here (their service areas).
    counts["serving"] = organizations_serving(place).count() if place is not None else 0
    # Counts taken inside a transaction may include changes that are later rolled back.
    if not connection.in_atomic_block:
        if len(_counts_cache) > 5000:
            _counts_cache.clear()
        _counts_cache[key] = (version, counts)
    return dict(counts)


def _index_counts(ranges: tuple[tuple[int, int], ...] | None) -> dict[str, int] | None:
    if ranges is None:
        total = _everything_count(False) if search.table_count() is not None else None
        if total is None:
            return None
        organizations = total
    else:
        found = search.count(search.Spec(ranges=ranges))
        if found is None:
            return None
        organizations = found
    coalitions = search.count(search.Spec(ranges=ranges, kind=OrganizationKind.COALITION))
    active = search.count(search.Spec(ranges=ranges, status=OrganizationStatus.ACTIVE))
    return {"organizations": organizations, "coalitions": coalitions or 0, "active": active or 0}


def _inside_transaction() -> bool:
    # The map index is built from committed rows; inside a transaction it may miss its changes.
    return connection.in_atomic_block


def _index_filters(spec: search.Spec) -> "mapindex.Filters | None":
    """The map index's filters for a public search without words or distance; None for a search
    the index cannot answer, or inside a transaction whose changes it may not see."""
    if spec.include_hidden or spec.terms or spec.box is not None or _inside_transaction():
        return None
    from directory import mapindex  # it imports this module

    return mapindex.Filters(
        issue_bit=spec.issue_bit, kind=spec.kind, status=spec.status, ranges=spec.ranges
    )


def _listed_by_map_index(spec: search.Spec) -> SearchResults | None:
    """Public listings filtered by place, issue, kind and status, from the map index every web
    process keeps: it counts them and knows their name order, so a page is a look-up of 20 ids
    instead of sorting every listing in a country. Used only while the index is current."""
    filters = _index_filters(spec)
    if filters is None:
        return None
    from directory import mapindex  # it imports this module

    index = mapindex.get_index()
    if index.version != directory_version():
        return None
    qs = Organization.objects.public().filter(search.column_filter(spec)).order_by("name", "id")
    results = _results(qs).with_count(index.count_matching(filters))
    return results.with_page_ids(lambda start, stop: index.ids_by_name(filters, start, stop))


def _map_index_count(spec: search.Spec) -> int | None:
    """Public listings matching a search without words, counted by the map index in memory."""
    filters = _index_filters(spec)
    if filters is None:
        return None
    from directory import mapindex  # it imports this module

    return mapindex.get_index().count_matching(filters)


def _map_index_counts(ranges: tuple[tuple[int, int], ...] | None) -> dict[str, int] | None:
    """PostgreSQL cannot count from its text index, but every web process keeps a map index of
    public listings that counts by place, kind and status in memory."""
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        return None
    from directory import mapindex  # it imports this module

    index = mapindex.get_index()
    return {
        "organizations": index.count_matching(mapindex.Filters(ranges=ranges)),
        "coalitions": index.count_matching(
            mapindex.Filters(ranges=ranges, kind=OrganizationKind.COALITION)
        ),
        "active": index.count_matching(
            mapindex.Filters(ranges=ranges, status=OrganizationStatus.ACTIVE)
        ),
    }


def _sql_counts(place: Place | None) -> dict[str, int]:
    qs = Organization.objects.public()
    if place is not None:
        qs = qs.filter(place.contains_q("place_lft"))
    totals = qs.aggregate(
        organizations=Count("id"),
        coalitions=Count("id", filter=Q(kind=OrganizationKind.COALITION)),
        active=Count("id", filter=Q(status=OrganizationStatus.ACTIVE)),
    )
    return {k: int(v or 0) for k, v in totals.items()}
