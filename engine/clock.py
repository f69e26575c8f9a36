"""The one clock the engine and handlers read, so tests can move time instead of sleeping.

A step (start a case, complete a task, fire timers, ...) runs at one pinned instant: the
audit events it records, the timers it arms and the retries it schedules all carry the same
time. Replay pins each step at its recorded instant and so arms the same timers to the
microsecond. The pin is per thread/context (a ContextVar), never a global change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
_pinned: ContextVar[datetime | None] = ContextVar("insurflow_pinned_time", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def current_time() -> datetime:
    pinned = _pinned.get()
    return pinned if pinned is not None else _source()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the wall clock."""
    global _source
    _source = source or (lambda: datetime.now(UTC))


@contextmanager
def pinned(at: datetime | None = None) -> Iterator[datetime]:
    """Hold the time at `at` (default: now, or the enclosing pin) until the block ends."""
    instant = at if at is not None else current_time()
    token = _pinned.set(instant)
    try:
        yield instant
    finally:
        _pinned.reset(token)


def one_instant(step: Callable[P, R]) -> Callable[P, R]:
    """Run a service step at one pinned instant (see the module docstring)."""
    @functools.wraps(step)
    def pinned_step(*args: P.args, **kwargs: P.kwargs) -> R:
        with pinned():
            return step(*args, **kwargs)

    return pinned_step
