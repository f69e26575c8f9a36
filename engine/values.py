"""JSON encoding that keeps Decimal money and date values exact across save and restore."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_TAG = "$type"


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "value": str(value)}
    if isinstance(value, datetime):
        return {_TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {_TAG: "date", "value": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decode(obj: dict[str, Any]) -> Any:
    kind = obj.get(_TAG)
    if kind == "decimal":
        return Decimal(obj["value"])
    if kind == "datetime":
        return datetime.fromisoformat(obj["value"])
    if kind == "date":
        return date.fromisoformat(obj["value"])
    return obj


def dumps(value: Any) -> str:
    return json.dumps(value, default=_encode, sort_keys=True)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_decode)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_TAGGED = frozenset({Decimal, date, datetime})


def to_json_ready(value: Any) -> Any:
    """Plain JSON structure (for JSON columns and API output) with tagged Decimal/date: what
    `json.loads(dumps(value))` gives (keys sorted), walked directly for the plain containers
    that make up nearly all of it (every audit event goes through here)."""
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is dict and all(key.__class__ is str for key in value):
        return {key: to_json_ready(value[key]) for key in sorted(value)}
    if cls is list or cls is tuple:
        return [to_json_ready(item) for item in value]
    if cls in _TAGGED:
        return _encode(value)  # its keys are already in sorted order
    return json.loads(dumps(value))  # subclasses, non-text keys


def from_json_ready(value: Any) -> Any:
    return loads(json.dumps(value))


def to_display(value: Any) -> Any:
    """JSON for people and API clients: money as "12.30" strings, dates as ISO strings."""
    return json.loads(json.dumps(value, default=lambda v: str(v) if isinstance(v, Decimal)
                                 else v.isoformat()))


MAX_DEPTH = 64
MAX_ELEMENTS = 100_000
INT_RANGE = range(-(2**63), 2**63)  # what every JSON column and API client can hold exactly
_STORABLE_SCALARS = frozenset({str, bool, type(None), date, datetime})


def _scalar_reason(value: Any) -> str | None:
    cls = value.__class__
    if cls is int:
        return None if value in INT_RANGE else "it is an integer outside the 64-bit range"
    if cls is float or cls is Decimal:
        finite = value.is_finite() if cls is Decimal else math.isfinite(value)
        return None if finite else f"it is {value}, not a finite number"
    return f"it is a {cls.__name__}, which the case data cannot store"


def unstorable_reason(value: Any) -> str | None:
    """Why the case data cannot hold `value` (None if it can): anything `dumps` cannot write,
    or would write as something that does not read back equal (NaN, a huge integer), or so
    large (counting shared parts each time, as the JSON would) that writing it would stall."""
    pending, seen = [(value, 0)], 0
    while pending:
        item, depth = pending.pop()
        cls = item.__class__
        seen += 1
        if seen > MAX_ELEMENTS:
            return f"it holds more than {MAX_ELEMENTS} values"
        if cls in _STORABLE_SCALARS:
            continue
        if depth > MAX_DEPTH:
            return f"it is nested more than {MAX_DEPTH} levels deep"
        if cls is list or cls is tuple:
            pending.extend((child, depth + 1) for child in item)
        elif cls is dict:
            if not all(key.__class__ is str for key in item):
                return "it is a dict whose keys are not all text"
            pending.extend((child, depth + 1) for child in item.values())
        elif (reason := _scalar_reason(item)) is not None:
            return reason
    return None
