"""The one clock the engine and handlers read, so tests can move time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def current_time() -> datetime:
    return _source()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the wall clock."""
    global _source
    _source = source or (lambda: datetime.now(UTC))
