"""JSON encoding that keeps Decimal money and date values exact across save and restore."""

from __future__ import annotations

import json
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


def to_json_ready(value: Any) -> Any:
    """Plain JSON structure (for JSON columns and API output) with tagged Decimal/date."""
    return json.loads(dumps(value))


def from_json_ready(value: Any) -> Any:
    return loads(json.dumps(value))


def to_display(value: Any) -> Any:
    """JSON for people and API clients: money as "12.30" strings, dates as ISO strings."""
    return json.loads(json.dumps(value, default=lambda v: str(v) if isinstance(v, Decimal)
                                 else v.isoformat()))
