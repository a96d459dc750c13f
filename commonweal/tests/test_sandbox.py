"""The sandbox that reads uploaded files: a child that runs out of memory, out of time or dies
ends alone, and the parent is told why."""

import os
import subprocess
import sys
import time

import pytest

from commonweal.lib import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available(), reason="needs fork")


def _count(n: int):  # type: ignore[no-untyped-def]
    yield from range(n)


def _sleeping():  # type: ignore[no-untyped-def]
    time.sleep(60)
    yield 1


def test_it_streams_what_the_child_produces() -> None:
    assert list(sandbox.stream(lambda: _count(5), memory_mb=200, seconds=30)) == [0, 1, 2, 3, 4]


def test_it_returns_a_single_answer() -> None:
    assert sandbox.call(sum, [1, 2, 3], memory_mb=200, seconds=30) == 6


def test_it_stops_a_child_that_asks_for_more_memory_than_allowed() -> None:
    with pytest.raises(sandbox.OutOfMemory):
        sandbox.call(bytearray, 2 * 1024**3, memory_mb=100, seconds=30)


def test_it_notices_a_child_that_aborts() -> None:
    with pytest.raises(sandbox.OutOfMemory, match="SIGABRT"):
        sandbox.call(os.abort, memory_mb=100, seconds=30)


def test_it_notices_a_child_that_exits_without_a_word() -> None:
    with pytest.raises(sandbox.Died, match="exit code 3"):
        sandbox.call(os._exit, 3)


def test_it_stops_a_child_that_runs_too_long() -> None:
    started = time.monotonic()
    with pytest.raises(sandbox.TimedOut):
        sandbox.call(time.sleep, 60, seconds=1)
    assert time.monotonic() - started < 30


def test_it_stops_when_asked_to() -> None:
    asked = iter([False, False, True])
    with pytest.raises(sandbox.Cancelled):
        list(sandbox.stream(_sleeping, should_stop=lambda: next(asked), check_every=0.1))


def test_it_raises_what_the_child_raised() -> None:
    with pytest.raises(ZeroDivisionError):
        sandbox.call(divmod, 1, 0)


def test_the_child_does_not_outlive_a_parent_killed_outright() -> None:
    script = (
        "import multiprocessing, time\n"
        "from commonweal.lib import sandbox\n"
        "def produce():\n"
        "    yield multiprocessing.current_process().pid\n"
        "    time.sleep(120)\n"
        "    yield 0\n"
        "for pid in sandbox.stream(produce):\n"
        "    print(pid, flush=True)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        raise AssertionError("the reading child lived on after its parent")
