"""The time and memory budget of one sandboxed evaluation, and the guards that spend it.

The transformed code (engine/sandbox_transform.py) calls `tick` in every loop, comprehension
and lambda, and `charge` runs before every operation that could allocate a lot in one C call.
Both raise ScriptLimitExceeded, so a runaway script ends inside its budget without a thread,
a signal or a subprocess: nothing is left behind and the caller's transaction simply ends.
The budget of the running evaluation lives in a thread-local, so guards stay plain functions.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from time import monotonic

TIME_SETTING = "INSURFLOW_SCRIPT_TIME_BUDGET"
MEMORY_SETTING = "INSURFLOW_SCRIPT_MEMORY_BUDGET_MB"
DEFAULT_TIME_BUDGET = 3.0
DEFAULT_MEMORY_BUDGET_MB = 64
MAX_INT_BITS = 100_000  # ~30,000 digits: far past any amount, still cheap to multiply
WORD = 8  # bytes charged per slot of a list, tuple or range element


class SandboxViolation(Exception):
    """A script or expression tried something the sandbox does not allow."""


class ScriptLimitExceeded(SandboxViolation):
    """A script ran past its time budget or allocated past its memory budget."""


@dataclass(frozen=True)
class Limits:
    seconds: float
    memory_bytes: int

    @property
    def memory_mb(self) -> int:
        return self.memory_bytes // (1024 * 1024)


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, not {raw!r}")
    return value


@lru_cache(maxsize=1)
def configured_limits() -> Limits:
    """The budgets from the environment, read once (tests clear the cache after a change)."""
    seconds = _positive(TIME_SETTING, DEFAULT_TIME_BUDGET)
    megabytes = _positive(MEMORY_SETTING, DEFAULT_MEMORY_BUDGET_MB)
    return Limits(seconds, int(megabytes * 1024 * 1024))


class Budget:
    __slots__ = ("deadline", "bytes_left", "limits", "stored_into_existing")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = monotonic() + limits.seconds
        self.bytes_left = limits.memory_bytes
        # Set when code puts a value into a container it did not build: the caller then
        # checks every container in the data, not just the variables that changed.
        self.stored_into_existing = False


_active = threading.local()


def start(limits: Limits) -> tuple[Budget, Budget | None]:
    """Make a fresh budget the running one; returns it and the one it replaces (restore
    that with `finish`)."""
    previous: Budget | None = getattr(_active, "budget", None)
    budget = _active.budget = Budget(limits)
    return budget, previous


def finish(previous: Budget | None) -> None:
    _active.budget = previous


def _budget() -> Budget:
    budget: Budget | None = getattr(_active, "budget", None)
    if budget is None:
        # A lambda smuggled out of its evaluation has no budget left to spend.
        raise SandboxViolation("sandboxed code may only run inside its own evaluation")
    return budget


def _out_of_time(budget: Budget) -> ScriptLimitExceeded:
    return ScriptLimitExceeded(
        f"the script ran past its time limit of {budget.limits.seconds:g} s "
        f"({TIME_SETTING})")


def tick() -> bool:
    """Called once per loop iteration, comprehension item and lambda call; always True."""
    budget = _budget()
    if monotonic() > budget.deadline:
        raise _out_of_time(budget)
    return True


def tick_item() -> bool:
    """tick for a comprehension item, which also keeps the slot it fills."""
    budget = _budget()
    budget.bytes_left -= WORD
    if budget.bytes_left < 0:
        raise _out_of_memory(budget)
    if monotonic() > budget.deadline:
        raise _out_of_time(budget)
    return True


def _out_of_memory(budget: Budget) -> ScriptLimitExceeded:
    return ScriptLimitExceeded(
        f"the script allocated past its memory limit of {budget.limits.memory_mb} MB "
        f"({MEMORY_SETTING})")


def note_store() -> None:
    """A value went into an existing container (see Budget.stored_into_existing)."""
    _budget().stored_into_existing = True


def charge(size: int) -> None:
    """Spend `size` bytes before an allocation is made; refuse it if the budget is spent."""
    budget = _budget()
    budget.bytes_left -= size
    if budget.bytes_left < 0:
        raise _out_of_memory(budget)
    if monotonic() > budget.deadline:
        raise _out_of_time(budget)


def check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(
            f"the script computed an integer of about {bits} bits, over the limit of "
            f"{MAX_INT_BITS} bits")
    charge(bits // 8)


def bytes_left() -> int:
    return _budget().bytes_left


def remaining_slots() -> int:
    """How many list slots the budget still allows (for ranges and single big operations)."""
    return max(_budget().bytes_left // WORD, 0)
