"""Run risky work (reading a file someone uploaded) in a forked child process with a memory
ceiling and a time limit, and notice when it dies.

A native library that cannot allocate what a hostile file asks for aborts the whole process;
a parser can be made to run for hours. Done in a child, either ends only the child: the
parent sees why (out of memory, out of time, killed by a signal) and carries on. The child
streams what it produces back through a pipe, so the parent can write while it reads.

No Django here. POSIX only (fork and setrlimit); `available()` says whether it can be used.
"""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Stopped(Exception):
    """The child did not finish its work."""


class OutOfMemory(Stopped):
    def __init__(self, limit_mb: int | None, signal_name: str = "") -> None:
        super().__init__(f"out of memory (limit {limit_mb} MB) {signal_name}".strip())
        self.limit_mb = limit_mb
        self.signal_name = signal_name


class TimedOut(Stopped):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} seconds")
        self.seconds = seconds


class Cancelled(Stopped):
    def __init__(self) -> None:
        super().__init__("cancelled")


class Died(Stopped):
    def __init__(self, exitcode: int | None) -> None:
        name = _signal_name(exitcode)
        super().__init__(f"ended abruptly ({name or f'exit code {exitcode}'})")
        self.exitcode = exitcode
        self.signal_name = name


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return ""
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


# Signals a process receives when an allocation fails in native code (abort), when the
# kernel's out-of-memory killer picks it, or when a failed allocation is dereferenced.
_MEMORY_SIGNALS = {signal.SIGABRT, signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS}


_PR_SET_PDEATHSIG = 1


def available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _address_space() -> int:
    """This process's current virtual size in bytes (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _limit(memory_mb: int | None, seconds: float | None) -> None:
    if memory_mb:
        # On top of what the fork already maps (the parent's libraries and tables), so the
        # ceiling is what the work itself may add.
        wanted = _address_space() + memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    if seconds:
        # A backstop should the parent be gone: the kernel stops a child that spins on.
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        cpu = int(seconds) + 5
        if hard != resource.RLIM_INFINITY:
            cpu = min(cpu, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent dies (a worker killed outright), rather
    than leave it reading on for nobody."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the closed pipe ends the child at its next message instead


def _child(
    produce: Callable[[], Iterable[Any]],
    receiver: multiprocessing.connection.Connection,
    sender: multiprocessing.connection.Connection,
    memory_mb: int | None,
    seconds: float | None,
    parent: int,
) -> None:
    # Only the parent reads: were the child to keep its copy of the reading end, its writes
    # would block for ever once the parent is gone, instead of failing.
    receiver.close()
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the request above took effect
    # The parent reports how the child ended; a stack dump of each abort would only be noise.
    faulthandler.disable()
    try:
        _limit(memory_mb, seconds)
        for item in produce():
            sender.send(("item", item))
        sender.send(("done", None))
    except MemoryError:
        _send(sender, ("memory", None))
    except OSError as exc:
        if exc.errno != errno.EPIPE:  # a broken pipe: the parent is gone, nobody to tell
            _send(sender, ("error", exc))
    except BaseException as exc:  # noqa: BLE001 -- every failure goes back to the parent
        if not _send(sender, ("error", exc)):
            _send(sender, ("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        sender.close()


def _send(sender: multiprocessing.connection.Connection, message: tuple[str, Any]) -> bool:
    """Send if possible: False when the message cannot be pickled; a parent that is gone
    counts as told."""
    try:
        sender.send(message)
    except OSError:
        return True
    except Exception:  # noqa: BLE001 -- an exception that cannot be pickled
        return False
    return True


def stream[T](
    produce: Callable[[], Iterable[T]],
    *,
    memory_mb: int | None = None,
    seconds: float | None = None,
    should_stop: Callable[[], bool] | None = None,
    check_every: float = 0.5,
) -> Iterator[T]:
    """Items of `produce()`, computed in a forked child under the limits. Raises what the
    child raised, or OutOfMemory, TimedOut, Died, or Cancelled (when `should_stop()` says so;
    it is asked every `check_every` seconds while waiting and between items). The child is
    killed when the caller stops early or anything goes wrong."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(produce, receiver, sender, memory_mb, seconds, os.getpid()),
        daemon=True,
    )
    with warnings.catch_warnings():
        # Threads of database drivers or DuckDB may exist here; the child never touches them
        # or their locks, only what `produce` reads.
        warnings.filterwarnings("ignore", ".* is multi-threaded", DeprecationWarning)
        child.start()
    sender.close()
    deadline = time.monotonic() + seconds if seconds else None
    try:
        while True:
            remaining = check_every
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimedOut(seconds or 0)
            if should_stop is not None and should_stop():
                raise Cancelled()
            if not receiver.poll(min(check_every, remaining)):
                continue
            try:
                kind, value = receiver.recv()
            except EOFError:
                child.join(5)
                code = child.exitcode
                if code is not None and code < 0 and -code == signal.SIGXCPU:
                    raise TimedOut(seconds or 0) from None
                if code is not None and code < 0 and -code in _MEMORY_SIGNALS:
                    raise OutOfMemory(memory_mb, _signal_name(code)) from None
                raise Died(code) from None
            if kind == "item":
                yield value
            elif kind == "done":
                child.join(5)
                return
            elif kind == "memory":
                raise OutOfMemory(memory_mb)
            else:
                raise value
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()


def call[T](
    function: Callable[..., T],
    *args: Any,
    memory_mb: int | None = None,
    seconds: float | None = None,
) -> T:
    """`function(*args)` computed in a forked child under the limits (see `stream`)."""
    for value in stream(lambda: [function(*args)], memory_mb=memory_mb, seconds=seconds):
        return value
    raise Died(os.EX_SOFTWARE)  # the child finished without an answer
