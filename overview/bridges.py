"""Fragile bridges: groups that are the only link between two coalitions.

Pure graph work on ids, no Django. The graph joins each coalition to its member groups (and to
coalitions that are its members). A group is a fragile bridge when removing it leaves two of
its coalitions with no other path between them. In graph terms it is a cut vertex, and the two
coalitions reach it through different biconnected components, which networkx finds in one
linear pass instead of removing each group in turn.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class Bridge:
    group: int
    # One coalition from each of two parts the group alone holds together.
    first: int
    second: int
    # How many parts meet only at this group (2 or more).
    parts: int
    coalitions: tuple[int, ...]


def fragile_bridges(
    memberships: Iterable[tuple[int, int]], coalitions: set[int], names: dict[int, str]
) -> list[Bridge]:
    """`memberships` are (coalition, member) pairs; `coalitions` the ids that are coalitions;
    `names` orders the answer and the coalitions picked to name each part. Groups belonging to
    one coalition only are left out first: they can link nothing, and most members are such."""
    edges = list(memberships)
    degree: dict[int, int] = defaultdict(int)
    for _, member in edges:
        if member not in coalitions:
            degree[member] += 1
    graph = nx.Graph()
    graph.add_edges_from(
        (coalition, member)
        for coalition, member in edges
        if member in coalitions or degree[member] >= 2
    )
    cut = {node for node in nx.articulation_points(graph) if node not in coalitions}
    if not cut:
        return []
    # Which biconnected component each of a cut group's edges lies in.
    parts: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for index, component in enumerate(nx.biconnected_component_edges(graph)):
        for a, b in component:
            if a in cut and b in coalitions:
                parts[a][index].add(b)
            elif b in cut and a in coalitions:
                parts[b][index].add(a)

    def key(node: int) -> tuple[str, int]:
        return (names.get(node, "").lower(), node)

    found: list[Bridge] = []
    for group, by_part in parts.items():
        if len(by_part) < 2:
            continue
        # Each part is named by its first coalition by name; the first two parts are named.
        firsts = sorted((min(cs, key=key) for cs in by_part.values()), key=key)
        first, second = firsts[0], firsts[1]
        every = tuple(sorted(set().union(*by_part.values()), key=key))
        found.append(Bridge(group, first, second, len(by_part), every))
    found.sort(key=lambda b: (-b.parts, key(b.group)))
    return found
