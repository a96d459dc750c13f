"""Pagination that never needs an exact COUNT: fetch one row more than a page to know if
another page follows, and take the total from wherever it is cheap (or leave it out)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    per_page: int
    has_next: bool
    # Exact total when known; when `total_is_floor` is set it means "at least this many".
    total: int | None = None
    total_is_floor: bool = False

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
