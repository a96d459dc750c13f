"""Where to draw a place's fragile bridges: coalitions in a row on top, the groups that alone
link them in a row below, a line for each membership. Pure arithmetic, no Django."""

from dataclasses import dataclass

WIDTH = 720
BOX_HEIGHT = 34
ROW_GAP = 90
MARGIN = 12
MAX_PER_ROW = 8
LABEL_CHARS = 22


@dataclass(frozen=True)
class Node:
    key: int
    label: str
    title: str
    x: float
    y: float
    width: float
    is_group: bool
    href: str

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def text_y(self) -> float:
        return round(self.y + BOX_HEIGHT * 0.62, 1)


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Drawing:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    # Coalitions or groups left out for room, so the page can say so.
    hidden: int


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1].rstrip() + "…"


def _row(
    keys: list[int], names: dict[int, str], links: dict[int, str], y: float, is_group: bool
) -> list[Node]:
    if not keys:
        return []
    slot = (WIDTH - 2 * MARGIN) / len(keys)
    width = min(slot - 8, 200)
    return [
        Node(
            key=key,
            label=_short(names.get(key, "")),
            title=names.get(key, ""),
            x=round(MARGIN + slot * (i + 0.5) - width / 2, 1),
            y=y,
            width=round(width, 1),
            is_group=is_group,
            href=links.get(key, ""),
        )
        for i, key in enumerate(keys)
    ]


def bridges_drawing(
    links_of: dict[int, list[int]], names: dict[int, str], links: dict[int, str]
) -> Drawing:
    """`links_of` maps each bridging group to its coalitions, in the order to show them."""
    groups = list(links_of)[:MAX_PER_ROW]
    coalitions: list[int] = []
    for group in groups:
        for coalition in links_of[group]:
            if coalition not in coalitions:
                coalitions.append(coalition)
    hidden = max(0, len(links_of) - len(groups)) + max(0, len(coalitions) - MAX_PER_ROW)
    coalitions = coalitions[:MAX_PER_ROW]
    top = _row(coalitions, names, links, MARGIN, False)
    bottom = _row(groups, names, links, MARGIN + BOX_HEIGHT + ROW_GAP, True)
    where = {node.key: node for node in top}
    edges = [
        Edge(x1=where[c].cx, y1=where[c].y + BOX_HEIGHT, x2=g.cx, y2=g.y)
        for g in bottom
        for c in links_of[g.key]
        if c in where
    ]
    height = 2 * MARGIN + 2 * BOX_HEIGHT + ROW_GAP if groups else 0
    return Drawing(nodes=top + bottom, edges=edges, width=WIDTH, height=height, hidden=hidden)
