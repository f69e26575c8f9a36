"""What changed in a case's data between two steps: fields added, changed and removed,
nested values included (`first_premium.amount`, `verification.reasons[0]`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MISSING = object()


@dataclass(frozen=True)
class DataChange:
    path: str
    kind: str  # "added", "changed" or "removed"
    before: Any = None
    after: Any = None


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def data_changes(before: Any, after: Any, path: str = "") -> list[DataChange]:
    """Every leaf that differs; dicts and lists are walked, other values compared whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[DataChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            changes += _one(before.get(key, MISSING), after.get(key, MISSING), _join(path, key))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            changes += _one(before[index] if index < len(before) else MISSING,
                            after[index] if index < len(after) else MISSING,
                            _join(path, index))
        return changes
    if before == after and type(before) is type(after):
        return []
    return [DataChange(path or "(all data)", "changed", before, after)]


def _one(before: Any, after: Any, path: str) -> list[DataChange]:
    if before is MISSING:
        return [DataChange(path, "added", None, after)]
    if after is MISSING:
        return [DataChange(path, "removed", before, None)]
    return data_changes(before, after, path)
