"""Replay: rebuild a case from the process version it ran on plus its recorded inputs, and
prove the stored state follows from them (Temporal-style: a difference is a divergence).

Inputs are the recorded start data, form submissions, messages, timer firings, worker runs,
retries, incident actions and claims; handler results come from the `service_called` events,
so no handler and no outside system runs. Read only: nothing is written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.replay import Snapshot, restore_stored, snapshot
from models import Case, ProcessVersion

from .case_store import definition_of
from .errors import NotFound
from .replay_case import CannotApply, CaseReplay
from .replay_compare import Finding, check_final, check_step, data_differences, note_writers
from .replay_history import Recorded, Step, StoredCase, group_steps, load_cases
from .replay_states import ReplayStep, step_states

__all__ = ["BatchOutcome", "ReplayReport", "ReplayStep", "replay_batch", "replay_case",
           "replay_stored"]


@dataclass
class ReplayReport:
    case_id: int
    matches: bool
    differences: list[str]        # plain sentences, first divergence first
    steps: list[ReplayStep]       # one per audit event up to `to_seq` (replay_states.py)
    events: int = 0               # events in the history
    version: str = ""             # "new_business v2": the version replayed
    business_key: str | None = None
    stopped_at: int | None = field(default=None)  # seq replay could not go past, if any


def replay_case(session: Session, case_id: int, to_seq: int | None = None) -> ReplayReport:
    loaded = load_cases(session, [case_id])
    if not loaded:
        raise NotFound(f"there is no case {case_id}")
    return replay_stored(session, loaded[0], to_seq)


@dataclass(frozen=True)
class BatchOutcome:
    case_id: int
    report: ReplayReport | None
    error: str | None  # why the case could not be replayed at all


def replay_batch(session: Session, after_id: int, batch: int) -> Iterator[BatchOutcome]:
    """Replay the next `batch` cases with ids above `after_id`, without per-event states.

    A case that cannot be replayed at all (say its version's files are missing) is an
    outcome with an error; the others still run.
    """
    ids = list(session.scalars(select(Case.id).where(Case.id > after_id)
                               .order_by(Case.id).limit(batch)))
    for stored in load_cases(session, ids):
        try:
            yield BatchOutcome(stored.case.id, replay_stored(session, stored, None,
                                                             keep_steps=False), None)
        except Exception as error:  # noqa: BLE001 - reported as "failed to replay"
            yield BatchOutcome(stored.case.id, None, f"{type(error).__name__}: {error}")


def replay_stored(session: Session, stored: StoredCase, to_seq: int | None,
                  keep_steps: bool = True) -> ReplayReport:
    case = stored.case
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None  # FK guarantees it
    report = ReplayReport(case.id, True, [], [], len(stored.events),
                          f"{version.process_id} v{version.version}", case.business_key)
    replay = CaseReplay(definition_of(session, case), keep_moments=keep_steps)
    writers: dict[str, Recorded] = {}
    steps = group_steps(stored.events)
    _check_version(stored.events, version, report)
    found: list[Finding] = []
    data: dict[str, Any] = {}
    for step in steps:
        if to_seq is not None and step.input.seq > to_seq:
            break
        try:
            problem = check_step(replay, step, replay.apply(step), to_seq)
        except CannotApply as error:
            found.append((step.input.seq, f"{step.input.label()}: {error}; the replay stops "
                          "here"))
            report.stopped_at = step.input.seq
            break
        if problem:
            found.append(problem)
        data = _after(replay, step, data, writers, report if keep_steps else None, to_seq)
    if replay.runtime is not None and (to_seq is None or to_seq >= _last_seq(stored)):
        found += _final(session, replay, stored, writers, finished=not found)
    # First divergence first: a sentence names the event it is about (the case: last).
    found.sort(key=lambda finding: finding[0] if finding[0] is not None else 1 << 62)
    report.differences += [sentence for _, sentence in found]
    report.matches = not report.differences
    return report


def _final(session: Session, replay: CaseReplay, stored: StoredCase,
           writers: dict[str, Recorded], finished: bool) -> list[Finding]:
    """The stored state against the replayed one. After a divergence only where a recorded
    handler result differs from what the case stored: that names a changed result."""
    assert replay.runtime is not None
    stored_state, replayed = _stored_snapshot(session, stored), snapshot(replay.runtime)
    if finished:
        return check_final(replay, stored, stored_state, replayed, writers)
    return data_differences(stored_state.data, replayed.data, writers, only_results=True)


def _after(replay: CaseReplay, step: Step, before: dict[str, Any],
           writers: dict[str, Recorded], report: ReplayReport | None,
           to_seq: int | None) -> dict[str, Any]:
    """The data after the step; notes who wrote what and, if asked, the per-event states."""
    if replay.runtime is None:
        return before
    state = snapshot(replay.runtime)
    note_writers(writers, step, before, state.data)
    if report is not None:
        after = ReplayStep(0, "", copy.deepcopy(state.data), list(replay.runtime.completed),
                           list(dict.fromkeys(element for element, _ in state.live)))
        previous = report.steps[-1] if report.steps else None
        report.steps += step_states(step, replay.moments, previous, after, to_seq)
    return state.data


def _check_version(events: Sequence[Recorded], version: ProcessVersion,
                   report: ReplayReport) -> None:
    started = next((e for e in events if e.kind == "case_started"), None)
    if started is not None and started.payload.get("content_hash") != version.content_hash:
        report.differences.append(
            f"{started.label()}: the case started on content {started.payload.get('content_hash')}"
            f" but its row points at {version.process_id} v{version.version} "
            f"({version.content_hash})")


def _stored_snapshot(session: Session, stored: StoredCase) -> Snapshot:
    runtime = restore_stored(definition_of(session, stored.case), stored.case.workflow_state,
                             stored.rows)
    return snapshot(runtime)


def _last_seq(stored: StoredCase) -> int:
    return stored.events[-1].seq if stored.events else 0
