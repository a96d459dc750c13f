"""Progress arithmetic checked against sums worked by hand."""

import pytest

from plans.rollup import LevelProgress, Node, roll_up


def test_it_weighs_tasks_and_leaves_nothing_counted_as_unknown() -> None:
    # Tasks of weight 1 at 100% and weight 3 at 20%: (100 + 60) / 4 = 40%.
    rolled = roll_up({1: Node(1, 4, 160), 2: Node(2, 0, 0)})
    assert rolled[1].own == pytest.approx(40)
    assert rolled[1].total == pytest.approx(40)
    assert rolled[2].own is None and rolled[2].total is None


def test_it_counts_each_contributing_plan_as_a_task_of_its_weight() -> None:
    # State: own tasks weigh 2 at 50%. City A (weight 2) at 100%, city B (weight 1) at 10%.
    # Total: (2×50 + 2×100 + 1×10) / (2 + 2 + 1) = 310 / 5 = 62%.
    nodes = {
        1: Node(1, 2, 100),
        2: Node(2, 1, 100, parent=1, contribution_weight=2),
        3: Node(3, 10, 100, parent=1, contribution_weight=1),
    }
    rolled = roll_up(nodes)
    assert rolled[1].own == pytest.approx(50)
    assert rolled[1].total == pytest.approx(62)
    assert rolled[1].counted_plans == [2, 3]


def test_it_rolls_up_two_levels_and_leaves_out_dropped_and_empty_plans() -> None:
    # Nation (no own tasks) ← state (own 0% of weight 1) ← city at 100%.
    # State total: (0 + 1×100) / 2 = 50%. Nation total: its one counted state, 50%.
    nodes = {
        1: Node(1, 0, 0),
        2: Node(2, 1, 0, parent=1),
        3: Node(3, 1, 100, parent=2),
        4: Node(4, 1, 100, parent=1, dropped=True),
        5: Node(5, 0, 0, parent=1),
    }
    rolled = roll_up(nodes)
    assert rolled[2].total == pytest.approx(50)
    assert rolled[1].total == pytest.approx(50)
    assert rolled[1].counted_plans == [2]
    assert rolled[1].uncounted_plans == [4, 5]


def test_it_cuts_a_loop_instead_of_recursing_for_ever() -> None:
    rolled = roll_up({1: Node(1, 1, 100, parent=2), 2: Node(2, 1, 0, parent=1)})
    assert rolled[1].total is not None and rolled[2].total is not None


def test_a_level_row_counts_decisions_without_a_plan_apart_from_zero() -> None:
    row = LevelProgress("city")
    row.add(has_plan=False, dropped=False, total=None)
    row.add(has_plan=True, dropped=False, total=None)
    row.add(has_plan=True, dropped=False, total=100)
    row.add(has_plan=True, dropped=False, total=50)
    row.add(has_plan=True, dropped=True, total=None)
    assert (row.decisions, row.with_plan, row.without_plan) == (5, 4, 1)
    assert (row.done, row.dropped, row.measured) == (1, 1, 2)
    assert row.percent == pytest.approx(75)
