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
from .replay_compare import check_final, check_step, note_writers
from .replay_history import Recorded, Step, StoredCase, group_steps, load_cases


@dataclass(frozen=True)
class ReplayStep:
    seq: int                      # the audit event after which this state holds
    kind: str                     # that event's kind
    data: dict[str, Any]          # case data after the event
    completed: list[str]          # element ids completed so far (in order)
    current: list[str]            # element ids ready or waiting now


@dataclass
class ReplayReport:
    case_id: int
    matches: bool
    differences: list[str]        # plain sentences, first divergence first
    steps: list[ReplayStep]       # one per audit event up to `to_seq`
    events: int = 0               # events in the history
    version: str = ""             # "new_business v2": the version replayed
    business_key: str | None = None
    stopped_at: int | None = field(default=None)  # seq replay could not go past, if any


def replay_case(session: Session, case_id: int, to_seq: int | None = None) -> ReplayReport:
    loaded = load_cases(session, [case_id])
    if not loaded:
        raise NotFound(f"there is no case {case_id}")
    return replay_stored(session, loaded[0], to_seq)


def replay_batches(session: Session, after_id: int, batch: int) -> Iterator[ReplayReport]:
    """Replay the next `batch` cases with ids above `after_id` (reports only, no steps)."""
    ids = list(session.scalars(select(Case.id).where(Case.id > after_id)
                               .order_by(Case.id).limit(batch)))
    for stored in load_cases(session, ids):
        yield replay_stored(session, stored, None, keep_steps=False)


def replay_stored(session: Session, stored: StoredCase, to_seq: int | None,
                  keep_steps: bool = True) -> ReplayReport:
    case = stored.case
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None  # FK guarantees it
    report = ReplayReport(case.id, True, [], [], len(stored.events),
                          f"{version.process_id} v{version.version}", case.business_key)
    replay = CaseReplay(definition_of(session, case))
    writers: dict[str, Recorded] = {}
    steps = group_steps(stored.events)
    _check_version(stored.events, version, report)
    data: dict[str, Any] = {}
    for step in steps:
        if to_seq is not None and step.input.seq > to_seq:
            break
        try:
            problem = check_step(replay, step, replay.apply(step))
        except CannotApply as error:
            report.differences.append(f"{step.input.label()}: {error}; the replay stops here")
            report.stopped_at = step.input.seq
            break
        if problem:
            report.differences.append(problem)
        data = _after(replay, step, data, writers, report if keep_steps else None, to_seq)
    if report.stopped_at is None and (to_seq is None or to_seq >= _last_seq(stored)) \
            and replay.runtime is not None:
        stored_state = _stored_snapshot(session, stored)
        report.differences += check_final(replay, stored, stored_state,
                                          snapshot(replay.runtime), writers)
    report.matches = not report.differences
    return report


def _after(replay: CaseReplay, step: Step, before: dict[str, Any],
           writers: dict[str, Recorded], report: ReplayReport | None,
           to_seq: int | None) -> dict[str, Any]:
    """The data after the step; notes who wrote what and, if asked, the per-event states."""
    if replay.runtime is None:
        return before
    state = snapshot(replay.runtime)
    note_writers(writers, step, before, state.data)
    if report is not None:
        data = copy.deepcopy(state.data)
        completed = list(replay.runtime.completed)
        current = list(dict.fromkeys(element for element, _ in state.live))
        report.steps += [ReplayStep(event.seq, event.kind, data, completed, current)
                         for event in step.events if to_seq is None or event.seq <= to_seq]
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
