"""A case as it stood after one event of its history, rebuilt by replay: the data then, the
difference from the event before, where it stood on its diagram, and the event itself.

Replay (services/replay.py) runs the case's own process version on its recorded inputs, so
the state shown is derived, not stored; whether that derivation matches the stored case is
shown beside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine import values
from engine.diagram import element_names
from models import Case

from .case_audit import TimelineEntry, case_events, decision_reader, timeline_entry
from .cases import get_case
from .data_diff import DataChange, data_changes
from .diagrams import case_bpmn_xml
from .errors import NotFound
from .history import describe
from .replay import ReplayReport, ReplayStep, replay_case, replay_stored
from .replay_history import load_cases
from .version_files import case_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepDiagram:
    completed: list[str]
    current: list[str]
    names: dict[str, str]


@dataclass(frozen=True)
class CaseStep:
    case: Case
    seq: int
    last_seq: int
    event: TimelineEntry
    replay: ReplayReport
    step: ReplayStep | None  # None when replay could not reach this event
    data: Any
    changes: list[DataChange]
    diagram: StepDiagram | None

    @property
    def previous_seq(self) -> int | None:
        return self.seq - 1 if self.seq > 1 else None

    @property
    def next_seq(self) -> int | None:
        return self.seq + 1 if self.seq < self.last_seq else None


def replay_summary(session: Session, case_id: int) -> ReplayReport:
    """Replay the whole case for its verdict only (no per-event states kept).

    A replay that breaks is a finding for the auditor, not a broken page: it is reported
    as a difference (and logged with its traceback).
    """
    loaded = load_cases(session, [case_id])
    if not loaded:
        raise NotFound(f"there is no case {case_id}")
    try:
        return replay_stored(session, loaded[0], None, keep_steps=False)
    except Exception as error:  # noqa: BLE001 - shown on the page, logged in full
        log.exception("replay of case %s failed", case_id)
        return ReplayReport(case_id, False, [f"the replay could not run: {error}"], [])


def _display(data: dict[str, Any]) -> Any:
    return values.to_display(data)


def _diagram(session: Session, case: Case, step: ReplayStep) -> StepDiagram:
    # The audit pages are for overseers only (web/audit_pages.py), who see every case.
    names = element_names(case_bpmn_xml(session, case.id, viewer=None))
    current = [i for i in dict.fromkeys(step.current) if i in names]
    completed = [i for i in dict.fromkeys(step.completed) if i in names and i not in current]
    return StepDiagram(completed, current, {i: names[i] for i in completed + current})


def case_step(session: Session, case_id: int, seq: int) -> CaseStep:
    """NotFound for an unknown case or an event number the case does not have."""
    case = get_case(session, case_id)
    events = case_events(session, case.id)
    index = next((i for i, event in enumerate(events) if event.seq == seq), None)
    if index is None:
        raise NotFound(f"case {case_id} has no event {seq} (it has {len(events)})")
    lines = describe(events[:index + 1], case.process_id)
    reader = decision_reader(session, case_version(session, case))
    event = events[index]
    entry = timeline_entry(event, lines[-1].text,
                           _display(values.from_json_ready(event.payload)), reader)
    report = replay_case(session, case.id, to_seq=seq)
    states = {state.seq: state for state in report.steps}
    step, before = states.get(seq), states.get(seq - 1)
    data = _display(step.data) if step else None
    changes = data_changes(_display(before.data) if before else {}, data) if step else []
    return CaseStep(case, seq, events[-1].seq, entry, report, step, data, changes,
                    _diagram(session, case, step) if step else None)
