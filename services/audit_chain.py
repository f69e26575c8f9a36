"""The hash chain of a case's history: one canonical form for recording, checking and export.

An event's hash is SHA-256 over a canonical JSON document of its content and the hash of the
event before it in the same case (the first event follows GENESIS), so editing, removing,
reordering or inserting an event breaks the chain from that point on. The recipe is written
out in docs/audit.md, and tools/verify_audit_export.py repeats it with the standard library
only: change neither without the other, and never change it for existing histories.

The canonical form must come out the same from what either database gives back: keys
sorted, no spaces, ASCII only (other characters as \\u escapes), `at` as UTC ISO-8601 with
microseconds and a Z, and a number whose value is whole written as an integer (PostgreSQL's
JSONB may return 1e+20 as 100000000000000000000).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def format_at(at: datetime) -> str:
    """`at` as the chain writes it: 2026-11-25T09:30:00.000000Z."""
    last = _LAST_FORMATTED
    if last[0] is at:  # a step's events share one instant (engine.clock.one_instant)
        return last[1]
    if at.tzinfo is None:
        raise ValueError("an audit timestamp must carry its time zone")
    text = at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    _remember(at, text)
    return text


_LAST_FORMATTED: tuple[datetime | None, str] = (None, "")


def _remember(at: datetime, text: str) -> None:
    global _LAST_FORMATTED
    _LAST_FORMATTED = (at, text)  # one tuple: a thread reads the old pair or the new one


def canonical(*, case_id: int, seq: int, at: str, actor: str, kind: str,
              element_id: str | None, payload: Any, prev_hash: str) -> bytes:
    """The exact bytes an event's hash is taken over."""
    document = {"actor": actor, "at": at, "case_id": case_id, "element_id": element_id,
                "kind": kind, "payload": _whole_numbers_as_int(payload),
                "prev_hash": prev_hash, "seq": seq}
    return _CANONICAL.encode(document).encode("ascii")


# json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True), with the
# encoder built once instead of per event
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def event_hash(*, case_id: int, seq: int, at: str, actor: str, kind: str,
               element_id: str | None, payload: Any, prev_hash: str) -> str:
    """Hex SHA-256 of the event's canonical form."""
    return hashlib.sha256(canonical(
        case_id=case_id, seq=seq, at=at, actor=actor, kind=kind, element_id=element_id,
        payload=payload, prev_hash=prev_hash)).hexdigest()


def as_chained(value: Any) -> Any:
    """A JSON-ready value as the chain hashes it (whole numbers as integers): two values that
    hash alike compare equal after this, whichever database gave them back."""
    return _whole_numbers_as_int(value)


def _whole_numbers_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_int(item) for item in value]
    return value
