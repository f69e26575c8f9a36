"""A restricted Python for BPMN scripts, conditions and DMN expressions (docs/sandbox.md).

BPMN and DMN files are untrusted input. Their code is parsed and checked against an
allow-list of syntax (engine/sandbox_transform.py), instrumented so attribute reads go
through a per-type allow-list and loops spend a time and memory budget
(engine/sandbox_guards.py, engine/sandbox_limits.py), and run in globals built afresh for
each evaluation over a small read-only set of builtins (engine/sandbox_builtins.py): nothing
one evaluation does is visible to the next. What a script leaves in the case data must be
storable, or the script fails.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from types import CodeType, MappingProxyType
from typing import Any

from . import sandbox_limits, values
from .sandbox_builtins import BUILTINS
from .sandbox_guards import OPERATORS, guarded_augitem, guarded_getattr, guarded_setitem
from .sandbox_limits import SandboxViolation, ScriptLimitExceeded
from .sandbox_sizes import charge_value
from .sandbox_transform import (
    AUGITEM,
    GETATTR,
    ITEM,
    SETITEM,
    TICK,
    TICK_ITEM,
    compile_sandboxed,
    operator_guard,
    parse_checked,
)

__all__ = ["SandboxViolation", "ScriptLimitExceeded", "UnstorableValue", "check_source",
           "check_source_cached", "evaluate", "execute"]


class UnstorableValue(SandboxViolation):
    """A script left a value in the case data that the case data cannot store."""


def _today() -> date:
    from engine.clock import current_time

    return current_time().date()


SCRIPT_HELPERS: dict[str, Any] = {
    "Decimal": Decimal,
    "date": date,
    "timedelta": timedelta,
    "today": _today,
}
GUARDS: dict[str, Any] = {
    TICK: sandbox_limits.tick, TICK_ITEM: sandbox_limits.tick_item,
    GETATTR: guarded_getattr, SETITEM: guarded_setitem, AUGITEM: guarded_augitem,
    ITEM: charge_value,
    **{operator_guard(name): guard for name, guard in OPERATORS.items()},
}
# Read-only and shared: an evaluation's rebinding of `len` lands in its own globals, and no
# code can reach this mapping to change it (a read-only proxy also costs less than a copy
# per evaluation). The guards live here too; a data variable of the same name (never
# callable: data is checked storable) would only break its own case.
EVALUATION_BUILTINS = MappingProxyType({**BUILTINS, **GUARDS})
_CONTAINERS = frozenset({list, dict, tuple})
_VALUES = frozenset({bool, str, int, float, Decimal, date, type(None), list, dict, tuple})
HIDDEN_NAMES = frozenset(SCRIPT_HELPERS) | frozenset(GUARDS) | {"__builtins__"}


def check_source(source: str, mode: str = "exec") -> None:
    """Raise SandboxViolation (or SyntaxError) if the source may not run in the sandbox."""
    parse_checked(source, mode)


@lru_cache(maxsize=4096)
def check_source_cached(source: str, mode: str) -> None:
    """check_source for expressions the engine validates again on every evaluation."""
    check_source(source, mode)


def _globals_for(data: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    scope: dict[str, Any] = dict(SCRIPT_HELPERS)
    scope.update(data)
    if extra:
        scope.update(extra)
    scope["__builtins__"] = EVALUATION_BUILTINS
    return scope


def _run(code: CodeType, scope: dict[str, Any]) -> tuple[Any, bool]:
    """The code's result, and whether it stored into a container it did not build."""
    budget, previous = sandbox_limits.start(sandbox_limits.configured_limits())
    try:
        result = eval(code, scope)  # noqa: S307 - checked, instrumented and sandboxed code
    finally:
        sandbox_limits.finish(previous)
    return result, budget.stored_into_existing


def evaluate(expression: str, data: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    result, _ = _run(compile_sandboxed(expression.strip(), "eval"), _globals_for(data, extra))
    if result.__class__ not in _VALUES and (callable(result) or hasattr(result, "__next__")):
        raise SandboxViolation(f"the expression gave a {type(result).__name__}, not a value")
    return result


def execute(script: str, data: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Run a script task; assignments update `data` in place (new values, never nested edits).

    Every variable the script leaves must be storable: a set, a function or NaN fails the
    script here, naming the variable, before anything is written to the case data."""
    scope = _globals_for(data, extra)
    _, stored = _run(compile_sandboxed(script, "exec"), scope)
    hidden = HIDDEN_NAMES.union(extra) if extra else HIDDEN_NAMES
    changed = {key: value for key, value in scope.items()
               if key not in hidden and (key not in data or data[key] is not value)}
    for key, value in scope.items() if stored else changed.items():
        if key in hidden or (key not in changed and value.__class__ not in _CONTAINERS):
            continue  # unchanged values were checked when they were stored
        reason = values.unstorable_reason(value)
        if reason is not None:
            raise UnstorableValue(f"the script left the variable {key!r} in the case data, "
                                  f"but {reason}")
    for key in [k for k in data if k not in scope]:
        del data[key]
    data.update(changed)
