"""The freshness chart of a region, drawn on the server as SVG: one stacked bar per place, its
parts the groups confirmed under 6 months ago, 6–12 months, 1–2 years, longer, and never.

Drawn here rather than in the browser so that it shows without JavaScript and costs the page
one grouped query (directory.freshness.region_freshness). The numbers are also in a table
beside it, for screen readers and for anyone who would rather read them.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from directory.freshness import BUCKETS, RegionRow

# Green for recent, through amber, to brown for long unconfirmed; grey for never. Each part
# also carries its words in a <title>, and the legend and table name them.
COLOURS = {
    "recent": "#1d6455",
    "half": "#6aa78f",
    "year": "#d9a441",
    "older": "#a35a20",
    "never": "#b8bcc2",
}
# Each place's name sits above its bar, so the chart stays narrow enough to be read at its
# own size on a phone.
BAR_W, BAR_H, LABEL_H, GAP = 290, 18, 18, 10
COUNT_W = 70
ROW_H = LABEL_H + BAR_H + GAP


def freshness_svg(rows: list[RegionRow], *, title: str) -> SafeString:
    if not rows:
        return mark_safe("")
    widest = max(row.total for row in rows) or 1
    height = len(rows) * ROW_H
    width = BAR_W + COUNT_W
    parts: list[str] = []
    for i, row in enumerate(rows):
        y = i * ROW_H
        label = row.label if len(row.label) <= 40 else row.label[:39] + "…"
        parts.append(
            format_html('<text x="0" y="{}" font-size="14">{}</text>', y + LABEL_H - 5, label)
        )
        y += LABEL_H
        x = 0.0
        for key, name in BUCKETS:
            n = row.counts.get(key, 0)
            if not n:
                continue
            w = BAR_W * n / widest
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title>'
                    "</rect>",
                    f"{x:.1f}",
                    y,
                    f"{max(w, 1.0):.1f}",
                    BAR_H,
                    COLOURS[key],
                    row.label,
                    name,
                    f"{n:,}",
                )
            )
            x += w
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="14">{}</text>',
                f"{x + 6:.1f}",
                y + BAR_H - 4,
                f"{row.total:,}",
            )
        )
    return format_html(
        '<svg class="freshness-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="{}" height="{}" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        width,
        height,
        width,
        height,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def legend() -> SafeString:
    return format_html(
        '<ul class="freshness-legend" aria-label="{}">{}</ul>',
        _("Legend"),
        format_html_join(
            "",
            '<li><span class="swatch" style="background:{}"></span>{}</li>',
            ((COLOURS[key], name) for key, name in BUCKETS),
        ),
    )
