"""A bird's-eye page's expensive parts (the matrix, the totals, the map's data), worked out
once per build for the pages people open most and kept where every web process finds them.

Each web process also keeps the last pages' parts in its own memory (overview/views.py), but
each process had to work out a page once after every rebuild: the world's 6,500 cells took
p95 362 ms on SQLite, 160 ms on PostgreSQL, the United States' 109 ms (bench/overview). The
rebuild job, which already runs in the background, now does that work for the wide pages and
stores the result by build, so a web process's first view only reads it back.
"""

import logging
import pickle
import time
import zlib
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import translation

from overview.boundaries import boundary_url
from overview.matrix import matrix_rows, total_row
from overview.models import OverviewBuild, PageParts
from overview.selectors import overview_for_place
from places.models import OVERLAY_KINDS, Place, PlaceKind

logger = logging.getLogger("commonweal.overview")

# Pages with at least this many sub-places are worked out ahead, the widest first, after the
# world's, the countries' and the regions'.
WIDE = 60
# At most this many pages a build. At a million listings the world's, the 250 countries' and
# the regions' parts take 4.6 MB together (compressed); a wide state or county some 170 KB
# (its map names up to 1,500 towns), and since the page opens with its busiest 60 rows, one
# worked out on request costs some 30 ms.
PAGES_AHEAD = 300


def page_parts(
    place: Place, issue: str | None, sort: str, descending: bool, every: bool = False
) -> dict[str, Any]:
    """The parts of a place's page that come from the figures (the same for every reader)."""
    overview = overview_for_place(place, issue, sort=sort, descending=descending, every=every)
    search_url = reverse("directory:search")
    overview_url = reverse("overview:place", args=["SLUG"])
    return {
        "overview": overview,
        "matrix": matrix_rows(overview.rows, overview.issues, search_url, overview_url),
        "totals": total_row(overview.total, overview.issues, search_url, place.name),
        "points": overview.map_points(),
        "boundaries": boundary_url(place, [row.source_ref for row in overview.rows]),
    }


def is_default_view(issue: str | None, sort: str, descending: bool, every: bool) -> bool:
    """The view a link to a place opens: every issue, by name, the busiest sub-places. Only
    this one is worked out ahead; any other is worked out on request, as before."""
    return issue is None and sort == "name" and not descending and not every


def stored_parts(build: OverviewBuild, place: Place, language: str) -> dict[str, Any] | None:
    data = (
        PageParts.objects.filter(build=build, place=place, language=language)
        .values_list("data", flat=True)
        .first()
    )
    if data is None:
        return None
    # Written only by the rebuild job below, from the hub's own figures, never from a request.
    return pickle.loads(zlib.decompress(data))  # type: ignore[no-any-return]  # noqa: S301


def _places_ahead() -> list[Place]:
    """The world, the countries and the regions, then the widest other places first."""
    children = dict(
        Place.objects.filter(parent__isnull=False)
        .exclude(kind__in=OVERLAY_KINDS)
        .order_by()
        .values("parent")
        .annotate(n=Count("id"))
        .filter(n__gte=WIDE)
        .values_list("parent", "n")
    )
    chosen = Place.objects.filter(parent__isnull=True).exclude(kind__in=OVERLAY_KINDS)
    chosen = chosen | Place.objects.filter(kind__in=[PlaceKind.COUNTRY, *OVERLAY_KINDS])
    chosen = chosen | Place.objects.filter(pk__in=list(children))
    order: dict[str, int] = {PlaceKind.WORLD: 0, PlaceKind.COUNTRY: 1}
    order.update(dict.fromkeys(OVERLAY_KINDS, 1))
    places = sorted(
        chosen.distinct(),
        key=lambda p: (order.get(p.kind, 2), -children.get(p.pk, 0), p.lft or 0, p.pk),
    )
    return places[:PAGES_AHEAD]


def page_parts_store(*, build: OverviewBuild) -> int:
    """Work out the default view of the widest pages for `build` (finished) and store it;
    earlier builds' parts go. Returns how many pages were stored."""
    started = time.monotonic()
    stored = 0
    language = settings.LANGUAGE_CODE
    # Run again for the same build (by hand), it starts afresh.
    PageParts.objects.filter(build=build).delete()
    with translation.override(language):
        for place in _places_ahead():
            parts = page_parts(place, None, "name", False)
            # The matrix's HTML is most of it and shrinks about tenfold (the world's parts:
            # 1.7 MB → some 150 KB), read back in a few milliseconds.
            data = zlib.compress(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL), 1)
            PageParts.objects.create(build=build, place=place, language=language, data=data)
            stored += 1
    PageParts.objects.exclude(build=build).delete()
    logger.info("overview pages ahead: %d in %.1f s", stored, time.monotonic() - started)
    return stored
