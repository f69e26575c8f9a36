"""engine.values: the JSON-ready form of task data and audit payloads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

import pytest

from engine.values import dumps, from_json_ready, to_json_ready


class Colour(StrEnum):
    RED = "red"


class Rank(IntEnum):
    HIGH = 1


SAMPLES: list[Any] = [
    None, True, 0, -3, 2.5, float("inf"), "text", "",
    Decimal("1234.50"), date(2026, 11, 26), datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
    {"b": 1, "a": [1, 2, {"z": Decimal("0.10"), "y": None}], "c": (1, "x")},
    {"nested": {"deeper": {"deepest": [date(2020, 1, 1), {"k": "v"}]}}},
    [(), [], {}], {2: "int key", 1: "another"}, {"colour": Colour.RED, "rank": Rank.HIGH},
    {True: "bool key"}, [Decimal("NaN")],
]


@pytest.mark.parametrize("value", SAMPLES, ids=[repr(v)[:40] for v in SAMPLES])
def test_json_ready_is_the_json_round_trip(value: Any) -> None:
    """The direct walk must give exactly what encoding and decoding gave: the stored audit
    payloads and their hashes depend on it."""
    expected = json.loads(dumps(value))
    ready = to_json_ready(value)
    assert ready == expected
    assert json.dumps(ready) == json.dumps(expected)  # same key order, same types


def test_money_and_dates_survive_the_json_ready_form() -> None:
    value = {"amount": Decimal("450.00"), "paid_on": date(2026, 11, 26), "items": [Decimal("1")]}
    assert from_json_ready(to_json_ready(value)) == value


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        to_json_ready({"tags": {"a", "b"}})
