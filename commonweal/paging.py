"""Pagination that never needs an exact COUNT: fetch one row more than a page to know if
another page follows, and take the total from wherever it is cheap (or leave it out).

Long lists in a known order (by name, or newest first) page by key instead of by offset: the
link to the next page names the last row shown, and that page starts right after it. The
database then seeks along its index, so page 1,000 costs what page 1 does, where an OFFSET
walks every row before it; the page number in the link is only for people to read.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

# Offset pages stop here: beyond, a page by OFFSET reads every row before it. Ordered lists
# go on by key (see seek_page); lists in another order (nearest first) are refined instead.
MAX_OFFSET_PAGE = 200
# Orders whose pages can start after a given row.
SEEKABLE_ORDERS = ("name", "newest")


@dataclass(frozen=True)
class Seek:
    """Where a page starts: right after the row `pk`, or (`backwards`) right before it."""

    pk: int
    backwards: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    has_next: bool
    # Exact total when known; when `total_is_floor` is set it means "at least this many".
    total: int | None = None
    total_is_floor: bool = False
    # Set when the next and previous pages can be reached by key (see seek_page).
    seekable: bool = False

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)

    @property
    def after_key(self) -> int | None:
        """The id the next page starts after, when pages go by key."""
        return self.items[-1].pk if self.seekable and self.items else None

    @property
    def before_key(self) -> int | None:
        """The id the previous page ends before, when pages go by key and it is not page 1."""
        if self.seekable and self.items and self.number > 2:
            return int(self.items[0].pk)
        return None

    @property
    def offset_next(self) -> bool:
        """Whether the next page can be linked by its number alone."""
        return self.has_next and self.number < MAX_OFFSET_PAGE

    @property
    def num_pages(self) -> int | None:
        if self.total is None or self.total_is_floor:
            return None
        return max(1, -(-self.total // self.per_page))


def page_of(
    rows: Any,
    number: int,
    per_page: int,
    *,
    total: int | None = None,
    floor: bool = False,
) -> Page:
    """Slice page `number` (1-based) out of `rows`, a QuerySet or any sliceable sequence."""
    number = max(1, number)
    start = (number - 1) * per_page
    chunk = list(rows[start : start + per_page + 1])
    return Page(
        items=chunk[:per_page],
        number=number,
        per_page=per_page,
        has_next=len(chunk) > per_page,
        total=total,
        total_is_floor=floor,
    )


def capped_count(rows: Any, cap: int) -> tuple[int, bool]:
    """Count at most `cap` rows: (count, True) when there are more than `cap`."""
    n = (
        rows[: cap + 1].count()
        if hasattr(rows, "count") and not isinstance(rows, list)
        else len(rows[: cap + 1])
    )
    return (cap, True) if n > cap else (n, False)


def seek_filter(rows: Any, order: str, seek: Seek) -> Q | None:
    """The rows after (or before) `seek` in `order`; None when its row no longer exists."""
    if order == "newest":
        return Q(pk__gt=seek.pk) if seek.backwards else Q(pk__lt=seek.pk)
    # By name, ties broken by id: the order every name-ordered list here uses.
    name = rows.model._default_manager.filter(pk=seek.pk).values_list("name", flat=True).first()
    if name is None:
        return None
    if seek.backwards:
        return Q(name__lt=name) | Q(name=name, pk__lt=seek.pk)
    return Q(name__gt=name) | Q(name=name, pk__gt=seek.pk)


def seek_page(
    rows: Any,
    number: int,
    per_page: int,
    *,
    seek: Seek | None,
    order: str,
    total: int | None = None,
    floor: bool = False,
) -> Page:
    """A page of `rows` (ordered by `order`) that starts after, or ends before, a known row.

    Without `seek`, or in an order that has no key, it is the plain page `number`. A row
    that has since disappeared cannot say where it was: the list starts again at page 1.
    """
    seekable = order in SEEKABLE_ORDERS
    where = seek_filter(rows, order, seek) if seek is not None and seekable else None
    if seek is None or where is None:
        number = number if seek is None or not seekable else 1
        page = page_of(rows, number, per_page, total=total, floor=floor)
        return Page(**{**page.__dict__, "seekable": seekable})
    following = rows.filter(where)
    if not seek.backwards:
        chunk = list(following[: per_page + 1])
        return Page(
            items=chunk[:per_page],
            number=max(1, number),
            per_page=per_page,
            has_next=len(chunk) > per_page,
            total=total,
            total_is_floor=floor,
            seekable=True,
        )
    chunk = list(following.reverse()[: per_page + 1])
    items = chunk[:per_page][::-1]
    # Nothing before these rows: whatever number the link said, this is the first page.
    first = len(chunk) <= per_page
    return Page(
        items=items,
        number=1 if first else max(1, number),
        per_page=per_page,
        has_next=True,
        total=total,
        total_is_floor=floor,
        seekable=True,
    )
