"""Progress arithmetic, with no Django in it: tasks to a plan, plans up through the levels.

A plan's own progress is the weighted mean of its counted tasks' progress (dropped tasks are
left out, and the pages say how many). A plan that contributes to a wider plan counts there as
one task whose weight the linking side chose and whose progress is the contributing plan's
total; a contributing plan with nothing counted yet (no tasks, or all dropped) or dropped
itself is left out of the total rather than pulling it to zero, and the pages say that too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    id: int
    weight_total: int  # Σ weight of the plan's counted tasks
    weighted_progress: float  # Σ weight × progress (0–100) of the same tasks
    parent: int | None = None
    contribution_weight: int = 1
    dropped: bool = False


@dataclass
class Rolled:
    own: float | None  # the plan's own tasks, percent
    total: float | None  # own tasks and contributing plans, percent
    counted_plans: list[int] = field(default_factory=list)  # contributions in the total
    uncounted_plans: list[int] = field(default_factory=list)  # left out, and why is on the page


def own_percent(weight_total: int, weighted_progress: float) -> float | None:
    return weighted_progress / weight_total if weight_total else None


def roll_up(nodes: dict[int, Node]) -> dict[int, Rolled]:
    """Every node's own and total progress. Links to nodes not given are ignored; a loop
    (which the services refuse, but data may outlive the check) is cut where it closes."""
    children: dict[int, list[int]] = {}
    for node in nodes.values():
        if node.parent is not None and node.parent in nodes:
            children.setdefault(node.parent, []).append(node.id)
    done: dict[int, Rolled] = {}

    def visit(pk: int, path: set[int]) -> Rolled:
        if pk in done:
            return done[pk]
        node = nodes[pk]
        weight = float(node.weight_total)
        points = float(node.weighted_progress)
        rolled = Rolled(own=own_percent(node.weight_total, node.weighted_progress), total=None)
        for child_pk in sorted(children.get(pk, [])):
            child = nodes[child_pk]
            if child_pk in path:
                continue
            child_rolled = visit(child_pk, path | {child_pk})
            if child.dropped or child_rolled.total is None:
                rolled.uncounted_plans.append(child_pk)
                continue
            rolled.counted_plans.append(child_pk)
            weight += child.contribution_weight
            points += child.contribution_weight * child_rolled.total
        rolled.total = points / weight if weight else None
        done[pk] = rolled
        return rolled

    for pk in nodes:
        visit(pk, {pk})
    return done


@dataclass
class LevelProgress:
    """Plans at one level (or all levels): how many decisions, how many have plans, and the
    mean of their total progress among those with anything counted."""

    level: str
    decisions: int = 0
    with_plan: int = 0
    done: int = 0
    dropped: int = 0
    measured: int = 0
    percent_sum: float = 0.0

    @property
    def without_plan(self) -> int:
        return self.decisions - self.with_plan

    @property
    def percent(self) -> float | None:
        return self.percent_sum / self.measured if self.measured else None

    def add(self, *, has_plan: bool, dropped: bool, total: float | None) -> None:
        self.decisions += 1
        if not has_plan:
            return
        self.with_plan += 1
        if dropped:
            self.dropped += 1
            return
        if total is not None:
            self.measured += 1
            self.percent_sum += total
            if total >= 100:
                self.done += 1
