"""Where to draw each coalition of a small graph: one row per level, wider coalitions on top.

Pure arithmetic on ids and names, no Django, so the page's template only places boxes.
"""

from dataclasses import dataclass

WIDTH = 720
ROW_HEIGHT = 76
BOX_HEIGHT = 34
MARGIN = 12
MAX_PER_ROW = 8
LABEL_CHARS = 24


@dataclass(frozen=True)
class Box:
    key: int
    label: str
    title: str
    x: float
    y: float
    width: float
    is_root: bool
    href: str = ""

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def text_y(self) -> float:
        return self.y + BOX_HEIGHT * 0.62


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Drawing:
    boxes: list[Box]
    lines: list[Line]
    width: int
    height: int
    # Nodes that did not fit in their row, by level, so the page can say so.
    hidden: int


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1].rstrip() + "…"


def layered(
    names: dict[int, str],
    levels: dict[int, int],
    edges: list[tuple[int, int]],
    root: int,
    links: dict[int, str] | None = None,
) -> Drawing:
    """Boxes in rows by level (negative above the root, positive below), edges as lines from
    the bottom of a coalition to the top of its member."""
    rows: dict[int, list[int]] = {}
    for key in sorted(names, key=lambda k: (names[k].lower(), k)):
        rows.setdefault(levels[key], []).append(key)
    hidden = 0
    for level, keys in rows.items():
        if len(keys) > MAX_PER_ROW:
            hidden += len(keys) - MAX_PER_ROW
            rows[level] = keys[:MAX_PER_ROW]
    order = sorted(rows)
    boxes: dict[int, Box] = {}
    for row, level in enumerate(order):
        keys = rows[level]
        slot = (WIDTH - 2 * MARGIN) / len(keys)
        width = min(slot - 10, 220)
        for i, key in enumerate(keys):
            centre = MARGIN + slot * (i + 0.5)
            boxes[key] = Box(
                key=key,
                label=_short(names[key]),
                title=names[key],
                x=round(centre - width / 2, 1),
                y=MARGIN + row * ROW_HEIGHT,
                width=round(width, 1),
                is_root=key == root,
                href=(links or {}).get(key, ""),
            )
    lines = [
        Line(
            x1=round(boxes[up].x + boxes[up].width / 2, 1),
            y1=boxes[up].y + BOX_HEIGHT,
            x2=round(boxes[down].x + boxes[down].width / 2, 1),
            y2=boxes[down].y,
        )
        for up, down in edges
        if up in boxes and down in boxes
    ]
    height = 2 * MARGIN + (len(order) - 1) * ROW_HEIGHT + BOX_HEIGHT if order else 0
    return Drawing(
        boxes=list(boxes.values()), lines=lines, width=WIDTH, height=height, hidden=hidden
    )
