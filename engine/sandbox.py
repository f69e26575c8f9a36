"""A restricted Python for BPMN scripts, conditions and DMN expressions.

BPMN files are untrusted input: SpiffWorkflow's stock environment runs them with plain
`exec`, so `import os` works. Here every expression is parsed and checked before it runs
(no imports, no names or attributes starting with `_`, no string-format attribute tricks)
and runs with a small whitelist of builtins, so `__import__`, `open` and `eval` do not exist.
"""

from __future__ import annotations

import ast
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any

SAFE_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "isinstance", "len",
        "list", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum",
        "tuple", "zip", "True", "False", "None", "ValueError", "KeyError",
    )
}

# Attribute names that reach object internals without a leading underscore.
FORBIDDEN_ATTRIBUTES = {"format", "format_map", "mro", "gi_frame", "gi_code", "f_globals",
                        "f_locals", "f_back", "tb_frame", "co_code", "cr_frame"}
FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.AsyncFunctionDef, ast.Global,
                   ast.Nonlocal, ast.Await, ast.Yield, ast.YieldFrom)


class SandboxViolation(Exception):
    """A script or expression tried something the sandbox does not allow."""


def _today() -> date:
    from engine.clock import current_time

    return current_time().date()


SCRIPT_HELPERS: dict[str, Any] = {
    "Decimal": Decimal,
    "date": date,
    "timedelta": timedelta,
    "today": _today,
}


def check_source(source: str, mode: str = "exec") -> None:
    """Raise SandboxViolation (or SyntaxError) if the source may not run in the sandbox."""
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            raise SandboxViolation(f"{type(node).__name__} is not allowed in process scripts")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise SandboxViolation(f"the name {node.id!r} is not allowed in process scripts")
        if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES
        ):
            raise SandboxViolation(f"the attribute {node.attr!r} is not allowed in process scripts")


@lru_cache(maxsize=4096)
def check_source_cached(source: str, mode: str) -> None:
    """check_source for expressions the engine validates again on every evaluation."""
    check_source(source, mode)


@lru_cache(maxsize=4096)
def compile_checked(source: str, mode: str) -> CodeType:
    check_source(source, mode)
    return compile(source, "<string>", mode)


def _globals_for(data: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    scope: dict[str, Any] = dict(SCRIPT_HELPERS)
    scope.update(data)
    if extra:
        scope.update(extra)
    scope["__builtins__"] = SAFE_BUILTINS
    return scope


def evaluate(expression: str, data: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    code = compile_checked(expression.strip(), "eval")
    return eval(code, _globals_for(data, extra))  # noqa: S307 - checked and sandboxed above


def execute(script: str, data: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Run a script task; assignments update `data` in place (new values, never nested edits)."""
    code = compile_checked(script, "exec")
    scope = _globals_for(data, extra)
    exec(code, scope)  # noqa: S102 - checked and sandboxed above
    hidden = set(SCRIPT_HELPERS) | set(extra or {}) | {"__builtins__"}
    for key in [k for k in data if k not in scope]:
        del data[key]
    for key, value in scope.items():
        if key in hidden or callable(value) or isinstance(value, ModuleType):
            continue
        data[key] = value
