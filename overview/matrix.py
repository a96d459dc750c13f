"""The heat map's rows as HTML, built in Python: a world page has some 250 sub-places × 25
issues, and rendering each cell through template tags would cost more than the rest of the
page together. Every value is escaped here; every word comes through gettext, once per page."""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from directory.models import IssueArea
from overview.selectors import Cell, Row


def _n(n: int) -> str:
    # Grouping only matters from four digits on; small numbers skip the locale machinery.
    return str(n) if n < 1000 else number_format(n, force_grouping=True)


@dataclass(frozen=True)
class _Words:
    """The cell titles' sentences, translated and escaped once; places, issues and numbers
    (already escaped) are put into them per cell."""

    gap: str
    full: str

    @classmethod
    def now(cls) -> "_Words":
        return cls(
            gap=escape(gettext("%(place)s, %(issue)s: no one organizes this here yet")),
            full=escape(
                gettext(
                    "%(place)s, %(issue)s: based here %(home)s; serving from elsewhere "
                    "%(serving)s; coalitions %(coalitions)s; committed in live calls "
                    "%(committed)s; active in the last 90 days %(recent)s"
                )
            ),
        )


def cell_title(place: str, issue: str, cell: Cell) -> str:
    """The title of one cell (plain text, for tests and other callers)."""
    words = _Words.now()
    return _title(words, escape(place), escape(issue), cell)


def _title(words: _Words, place: str, issue: str, cell: Cell) -> str:
    if cell.present == 0:
        return words.gap % {"place": place, "issue": issue}
    return words.full % {
        "place": place,
        "issue": issue,
        "home": _n(cell.home),
        "serving": _n(cell.serving),
        "coalitions": _n(cell.coalitions),
        "committed": _n(cell.committed),
        "recent": _n(cell.recent),
    }


def _td(words: _Words, place: str, issue: str, cell: Cell, href: str) -> str:
    title = _title(words, place, issue, cell)
    if cell.present == 0:
        return f'<td class="heat h0 gap"><a href="{href}" title="{title}">0</a></td>'
    return (
        f'<td class="heat h{cell.shade}"><a href="{href}" title="{title}">'
        f"{_n(cell.present)}</a></td>"
    )


def matrix_rows(
    rows: list[Row], issues: list[IssueArea], search_url: str, overview_url: str
) -> SafeString:
    """`search_url` is the directory's address; `overview_url` a sub-place's bird's-eye view
    with "SLUG" standing for its slug."""
    words = _Words.now()
    every = escape(gettext("all issues"))
    names = [escape(area.name) for area in issues]
    slugs = [escape(area.slug) for area in issues]
    out: list[str] = []
    for row in rows:
        name = escape(row.name)
        slug = escape(row.slug)
        base = f"{search_url}?place={slug}"
        cells = "".join(
            _td(words, name, names[i], cell, f"{base}&amp;issue={slugs[i]}")
            for i, cell in enumerate(row.cells)
        )
        link = overview_url.replace("SLUG", slug)
        out.append(
            f'<tr data-place="{slug}"><th scope="row"><a href="{link}">{name}</a></th>'
            f"{cells}{_td(words, name, every, row.total, base)}</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


def total_row(row: Row, issues: list[IssueArea], search_url: str, label: str) -> SafeString:
    words = _Words.now()
    base = f"{search_url}?place={escape(row.slug)}"
    name = escape(row.name)
    cells = "".join(
        _td(words, name, escape(area.name), cell, f"{base}&amp;issue={escape(area.slug)}")
        for area, cell in zip(issues, row.cells, strict=True)
    )
    every = _td(words, name, escape(gettext("all issues")), row.total, base)
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<tr class="totals"><th scope="row">{escape(label)}</th>{cells}{every}</tr>'
    )
