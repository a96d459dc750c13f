"""The heat map's rows as HTML, built in Python: a world page has some 250 sub-places × 25
issues, and rendering each cell through template tags would cost more than the rest of the
page together. Every value is escaped here; every word comes through gettext, once per page."""

from dataclasses import dataclass
from html import escape

from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from directory.models import IssueArea
from overview.selectors import Cell, Row


def _n(n: int, separator: str) -> str:
    # Django's number_format costs tens of microseconds a call, and a world page has thousands
    # of numbers: the reader's thousands separator is looked up once per page instead.
    return str(n) if n < 1000 else f"{n:,}".replace(",", separator)


@dataclass(frozen=True)
class _Words:
    """The cell titles' sentences, translated and escaped once; places, issues and numbers
    (already escaped) are put into them per cell."""

    gap: str
    full: str
    separator: str

    @classmethod
    def now(cls) -> "_Words":
        return cls(
            separator=str(get_format("THOUSAND_SEPARATOR")),
            # The place and the issue are the cell's row and column headers, which screen
            # readers announce with it; the title says only what the number is made of.
            gap=escape(gettext("no one organizes this here yet")),
            full=escape(
                gettext(
                    "based here %(home)s; serving from elsewhere %(serving)s; coalitions "
                    "%(coalitions)s; committed in live calls %(committed)s; active in the "
                    "last 90 days %(recent)s"
                )
            ),
        )


def _title(words: _Words, cell: Cell) -> str:
    if cell.present == 0:
        return words.gap
    sep = words.separator
    return words.full % {
        "home": _n(cell.home, sep),
        "serving": _n(cell.serving, sep),
        "coalitions": _n(cell.coalitions, sep),
        "committed": _n(cell.committed, sep),
        "recent": _n(cell.recent, sep),
    }


def _td(words: _Words, cell: Cell, href: str) -> str:
    title = _title(words, cell)
    if cell.present == 0:
        return f'<td class="heat h0 gap"><a href="{href}" title="{title}">0</a></td>'
    return (
        f'<td class="heat h{cell.shade}"><a href="{href}" title="{title}">'
        f"{_n(cell.present, words.separator)}</a></td>"
    )


def matrix_rows(
    rows: list[Row], issues: list[IssueArea], search_url: str, overview_url: str
) -> SafeString:
    """`search_url` is the directory's address; `overview_url` a sub-place's bird's-eye view
    with "SLUG" standing for its slug."""
    words = _Words.now()
    slugs = [escape(area.slug) for area in issues]
    out: list[str] = []
    for row in rows:
        name = escape(row.name)
        slug = escape(row.slug)
        base = f"{search_url}?place={slug}"
        cells = "".join(
            _td(words, cell, f"{base}&amp;issue={slugs[i]}") for i, cell in enumerate(row.cells)
        )
        link = overview_url.replace("SLUG", slug)
        out.append(
            f'<tr data-place="{slug}"><th scope="row"><a href="{link}">{name}</a></th>'
            f"{cells}{_td(words, row.total, base)}</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


def total_row(row: Row, issues: list[IssueArea], search_url: str, label: str) -> SafeString:
    words = _Words.now()
    base = f"{search_url}?place={escape(row.slug)}"
    cells = "".join(
        _td(words, cell, f"{base}&amp;issue={escape(area.slug)}")
        for area, cell in zip(issues, row.cells, strict=True)
    )
    every = _td(words, row.total, base)
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<tr class="totals"><th scope="row">{escape(label)}</th>{cells}{every}</tr>'
    )
