"""The functions transformed scripts call instead of Python's own attribute access, stores and
the operators that can allocate without bound.

Attribute access is an allow-list per exact type: a name works only on a type listed here
(str, dict, list, tuple, set, Decimal, date, datetime, timedelta, int, float) and only if it
is listed for that type. Everything else (frames, code objects, tracebacks, generator
internals, classes, bound-method internals) has no listed attribute at all, whatever its name.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from .sandbox_limits import SandboxViolation, charge, check_int_bits
from .sandbox_sizes import (
    GROWING_METHODS,
    STR_METHODS,
    materialise,
    size_of,
    store_value,
)

_DATE_FIELDS = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat",
                          "replace", "toordinal", "strftime"})
ATTRIBUTES: dict[type, frozenset[str]] = {
    str: STR_METHODS,
    dict: frozenset({"get", "keys", "values", "items", "pop", "copy", "setdefault", "update",
                     "clear"}),
    list: frozenset({"append", "extend", "insert", "pop", "remove", "index", "count", "sort",
                     "reverse", "copy", "clear"}),
    tuple: frozenset({"count", "index"}),
    set: frozenset({"add", "discard", "remove", "union", "intersection", "difference",
                    "issubset", "issuperset", "isdisjoint", "copy"}),
    Decimal: frozenset({"quantize", "is_signed", "is_zero", "copy_abs", "copy_negate",
                        "to_integral_value", "adjusted"}),
    date: _DATE_FIELDS,
    datetime: _DATE_FIELDS | {"hour", "minute", "second", "microsecond", "date"},
    timedelta: frozenset({"days", "seconds", "microseconds", "total_seconds"}),
    int: frozenset(),
    float: frozenset({"is_integer"}),
    bool: frozenset(),
}
# Attributes of the helper classes themselves (alternative constructors only).
CLASS_ATTRIBUTES: dict[Any, frozenset[str]] = {date: frozenset({"fromisoformat"})}
ALL_ATTRIBUTE_NAMES = frozenset().union(*ATTRIBUTES.values(), *CLASS_ATTRIBUTES.values())


def guarded_getattr(obj: Any, name: str) -> Any:
    """`obj.name` in a script: only allow-listed names of allow-listed exact types."""
    cls = type(obj)
    allowed = ATTRIBUTES.get(cls)
    if allowed is None and cls is type:
        allowed = CLASS_ATTRIBUTES.get(obj)
    if allowed is None or name not in allowed:
        raise SandboxViolation(
            f"the attribute {name!r} of a {cls.__name__} is not available in process scripts")
    method = GROWING_METHODS.get((cls, name))
    if method is not None:
        return partial(method, obj)
    return getattr(obj, name)


def _sequence_repeat(seq: Any, times: Any) -> None:
    if isinstance(times, int) and times > 0:
        charge(size_of(seq) * times)


def op_mul(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int):
        check_int_bits(left.bit_length() + right.bit_length())
    elif isinstance(right, int):
        _sequence_repeat(left, right)
    elif isinstance(left, int):
        _sequence_repeat(right, left)
    return left * right


def op_add(left: Any, right: Any) -> Any:
    if not isinstance(left, int | float | Decimal):
        charge(size_of(left) + size_of(right))
    return left + right


def op_pow(base: Any, exponent: Any) -> Any:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 1 and abs(base) > 1:
        check_int_bits(base.bit_length() * exponent)
    return base ** exponent


def op_lshift(value: Any, shift: Any) -> Any:
    if isinstance(value, int) and isinstance(shift, int) and shift > 0:
        check_int_bits(value.bit_length() + shift)
    return value << shift


def op_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        raise SandboxViolation("%-formatting of text is not available in process scripts; "
                               "use an f-string or str()")
    return left % right


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": op_add, "Mult": op_mul, "Pow": op_pow, "LShift": op_lshift, "Mod": op_mod}
_AUGMENTED: dict[str, Callable[[Any, Any], Any]] = {
    "Sub": operator.sub, "Div": operator.truediv, "FloorDiv": operator.floordiv,
    "RShift": operator.rshift, "BitOr": operator.or_, "BitXor": operator.xor,
    "BitAnd": operator.and_, **OPERATORS}


def guarded_setitem(obj: Any, key: Any, value: Any) -> None:
    """`obj[key] = value`: a new dict key or a slice store is charged to the memory budget."""
    if isinstance(key, slice):
        value = materialise(value)
    obj[key] = store_value(value)


def guarded_augitem(obj: Any, key: Any, operator_name: str, value: Any) -> None:
    """`obj[key] op= value`, evaluating obj and key once."""
    guarded_setitem(obj, key, _AUGMENTED[operator_name](obj[key], value))
