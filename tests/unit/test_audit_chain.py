"""The hashing recipe is pinned (docs/audit.md's worked example); the standalone tool agrees."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from services.audit_chain import GENESIS, canonical, event_hash, format_at

EXAMPLE: dict[str, Any] = {
    "case_id": 42, "seq": 1, "at": "2026-11-25T09:30:00.000000Z", "actor": "clerk1",
    "kind": "case_started", "element_id": None, "prev_hash": GENESIS,
    "payload": {"data": {"sum_insured": {"$type": "decimal", "value": "250000.00"},
                         "name": "Mei Lin 林", "rate": 1.0}}}
EXAMPLE_BYTES = (
    b'{"actor":"clerk1","at":"2026-11-25T09:30:00.000000Z","case_id":42,"element_id":null,'
    b'"kind":"case_started","payload":{"data":{"name":"Mei Lin \\u6797","rate":1,'
    b'"sum_insured":{"$type":"decimal","value":"250000.00"}}},"prev_hash":"' + b"0" * 64 +
    b'","seq":1}')
EXAMPLE_HASH = "44eb93e97e41e204ccb2683d587d7f96353390e1b3d329cab3a3fc6952cb032f"


def _standalone() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_export.py"
    spec = importlib.util.spec_from_file_location("verify_audit_export", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_example_hashes_as_documented() -> None:
    assert canonical(**EXAMPLE) == EXAMPLE_BYTES
    assert event_hash(**EXAMPLE) == EXAMPLE_HASH
    assert EXAMPLE_HASH in (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()


def test_at_is_utc_with_microseconds_and_a_z() -> None:
    taipei = timezone(timedelta(hours=8))
    assert format_at(datetime(2026, 11, 25, 17, 30, 0, 5, tzinfo=taipei)) == \
        "2026-11-25T09:30:00.000005Z"
    assert format_at(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000000Z"
    with pytest.raises(ValueError, match="time zone"):
        format_at(datetime(2026, 1, 2))


@pytest.mark.parametrize("payload", [
    {"whole": 3.0, "big": 1e20, "negative_zero": -0.0, "list": [1.0, 2.5, {"deep": 4.0}]},
    {"text": "tab\t quote\" backslash\\ line\u2028 emoji \U0001f600", "none": None},
    {},
])
def test_whole_numbers_are_integers_and_the_standalone_verifier_agrees(payload: Any) -> None:
    event = {**EXAMPLE, "payload": payload}
    as_ints = {**EXAMPLE, "payload": _ints(payload)}
    assert canonical(**event) == canonical(**as_ints)
    standalone = _standalone()
    assert standalone.canonical(event["case_id"], event) == canonical(**event)


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    return [_ints(item) for item in value] if isinstance(value, list) else value
