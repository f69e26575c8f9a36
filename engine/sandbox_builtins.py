"""The builtins a script sees: a fixed allow-list, with the ones that build a container or
loop in C wrapped so their size is checked first.

No `type`, `getattr`, `vars`, `globals`, `format`, `open`, `eval`, `__import__`: none of them
exists for a script. Evaluations see BUILTINS through a read-only mapping (sandbox.py); what a
script rebinds lands in its own globals and is gone when it ends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .sandbox_limits import WORD, SandboxViolation, charge, remaining_slots
from .sandbox_sizes import charge_value, materialise

MAX_ROUND_DIGITS = 100
MAX_INT_DIGITS = 4300  # Python's own limit for integer text


def safe_range(*args: int) -> range:
    """range() no longer than the memory budget allows a list of it to be (`sum`, `max` and
    `in` then finish within the time budget even though they loop in C)."""
    result = range(*args)
    if len(result) > remaining_slots():
        charge(len(result) * WORD)
    return result


def safe_list(iterable: Any = ()) -> list[Any]:
    return list(materialise(iterable))


def safe_tuple(iterable: Any = ()) -> tuple[Any, ...]:
    return tuple(materialise(iterable))


def safe_set(iterable: Any = ()) -> set[Any]:
    items = materialise(iterable)
    charge(len(items) * 3 * WORD)
    return set(items)


def safe_dict(*args: Any, **kwargs: Any) -> dict[str, Any]:
    parts = [materialise(a) for a in args]
    charge((sum(len(p) for p in parts) + len(kwargs)) * 4 * WORD)
    return dict(*parts, **kwargs)


def safe_sorted(iterable: Any, *, key: Any = None, reverse: bool = False) -> list[Any]:
    return sorted(materialise(iterable), key=key, reverse=reverse)


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    # A list or text start would make sum() concatenate, quadratically, inside one C call.
    if not isinstance(start, int | float | Decimal):
        raise SandboxViolation("sum() only adds numbers in process scripts")
    return sum(iterable, start)


def _check_integral_size(number: Any) -> None:
    # int(Decimal('1e999999999')) builds a 400 MB integer inside one C call.
    if type(number) is Decimal and number.is_finite() and number.adjusted() > MAX_INT_DIGITS:
        raise SandboxViolation(f"the number has more than {MAX_INT_DIGITS} digits")


def safe_int(value: Any = 0, *args: Any) -> int:
    _check_integral_size(value)
    return int(value, *args)


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    # round(5, -10**9) computes 10**(10**9) in C.
    if ndigits is not None and abs(ndigits) > MAX_ROUND_DIGITS:
        raise SandboxViolation(f"round() takes at most {MAX_ROUND_DIGITS} digits")
    if ndigits is None:
        _check_integral_size(number)
        return round(number)
    return round(number, ndigits)


def safe_str(value: Any = "") -> str:
    """str() of a value, charged as deep as its text would be."""
    return str(charge_value(value))


_CLASSES = {safe_int: int, safe_str: str, safe_list: list, safe_tuple: tuple, safe_set: set,
            safe_dict: dict}


def safe_isinstance(value: Any, kinds: Any) -> bool:
    """isinstance() that understands the wrapped list/tuple/set/dict builtins."""
    if isinstance(kinds, tuple):
        kinds = tuple(_CLASSES.get(k, k) for k in kinds)
    else:
        kinds = _CLASSES.get(kinds, kinds)
    return isinstance(value, kinds)


BUILTINS: dict[str, Any] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "enumerate": enumerate, "float": float,
    "int": safe_int, "len": len, "max": max, "min": min, "reversed": reversed, "str": safe_str,
    "zip": zip, "True": True, "False": False, "None": None,
    "ValueError": ValueError, "KeyError": KeyError,
    "range": safe_range, "list": safe_list, "tuple": safe_tuple, "set": safe_set,
    "dict": safe_dict, "sorted": safe_sorted, "sum": safe_sum, "round": safe_round,
    "isinstance": safe_isinstance,
}
