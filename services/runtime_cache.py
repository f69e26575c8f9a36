"""Runtimes of recently saved cases, kept in this process so the next step need not restore.

Restoring a case (reading its task rows and rebuilding SpiffWorkflow's task tree) costs about
as much as the step itself. A runtime saved by a transaction that committed is kept here and
used again only if the case row still carries the version counter and the random save token
it was saved with (`workflow_state["saved_as"]`, new at every save, so even a database emptied
and refilled, as tests do, cannot match an old entry). The database stays the only authority:
a change by any other process, a rollback here, or a row written by something else means a
normal restore. Taking an entry removes it, so two requests of the same process never share a
runtime; a step that fails leaves nothing behind. A completed case is not kept: no step will
need it, and a cache full of finished cases costs memory and, in a larger heap, time.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from engine import CaseRuntime
from models import Case

from .errors import BadSetting

# How many cases' runtimes one process keeps; the app sets INSURFLOW_RUNTIME_CACHE_SIZE.
CAPACITY = 512
SIZE_SETTING = "INSURFLOW_RUNTIME_CACHE_SIZE"
TOKEN = "saved_as"
_SAVED = "insurflow.runtime_cache.saved"


@dataclass(frozen=True)
class Kept:
    """A runtime as its case was committed: `rows` are the stored task rows' digests,
    `open_tasks` the ids of its open human task rows."""

    process_version_id: int
    version_id: int
    token: str
    runtime: CaseRuntime
    rows: dict[str, str]
    open_tasks: frozenset[str]

    def matches(self, case: Case) -> bool:
        return (self.token, self.version_id, self.process_version_id) == (
            (case.workflow_state or {}).get(TOKEN), case.version_id, case.process_version_id)


def capacity_setting() -> int:
    """INSURFLOW_RUNTIME_CACHE_SIZE as a number of cases (unset: CAPACITY; 0 turns it off)."""
    raw = os.environ.get(SIZE_SETTING, "").strip()
    if not raw:
        return CAPACITY
    if not raw.isdigit():
        raise BadSetting(f"{SIZE_SETTING} must be a whole number of cases (0 turns the "
                         f"cache off), not {raw!r}")
    return int(raw)


class RuntimeCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[int, Kept] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case: Case) -> Kept | None:
        """The kept runtime of `case` if it is the committed state of the row; removed."""
        with self._lock:
            kept = self._entries.pop(case.id, None)
        return kept if kept is not None and kept.matches(case) else None

    def peek(self, case: Case) -> Kept | None:
        """Like take, but leaves the entry (for reading its definition only)."""
        with self._lock:
            kept = self._entries.get(case.id)
        return kept if kept is not None and kept.matches(case) else None

    def put(self, case_id: int, kept: Kept) -> None:
        with self._lock:
            self._entries[case_id] = kept
            self._entries.move_to_end(case_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def resize(self, capacity: int) -> None:
        """Keep at most `capacity` runtimes from now on (0: keep none)."""
        if capacity < 0:
            raise ValueError("the runtime cache size cannot be negative")
        with self._lock:
            self._capacity = capacity
            while len(self._entries) > capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


CACHE = RuntimeCache()


def saved(session: Session, case: Case, runtime: CaseRuntime, rows: dict[str, str],
          open_tasks: set[str]) -> str:
    """A new save token for the case row; the runtime is kept once the transaction commits
    (the last save of the case in the transaction wins)."""
    token = uuid.uuid4().hex
    session.info.setdefault(_SAVED, {})[case.id] = (case, runtime, rows,
                                                    frozenset(open_tasks), token)
    return token


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending: dict[int, tuple[Case, CaseRuntime, dict[str, str], frozenset[str], str]] = \
        session.info.pop(_SAVED, {})
    for case_id, (case, runtime, rows, open_tasks, token) in pending.items():
        if runtime.is_completed():
            continue  # no step will need it: keeping it would only crowd out active cases
        values: dict[str, Any] = inspect(case).dict  # never loads: an expired row is skipped
        if "process_version_id" in values and "version_id" in values:
            CACHE.put(case_id, Kept(values["process_version_id"], values["version_id"], token,
                                    runtime, rows, open_tasks))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_SAVED, None)
