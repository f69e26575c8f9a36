"""One case replayed: each recorded input applied to a fresh runtime at its recorded instant,
and the events the services would have recorded because of it derived again.

This mirrors what the service functions do around the engine (case_store.save: the retry
or incident decision, human tasks, status); nothing here writes to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine import EngineError, IncidentInfo, ProcessDefinition, RunResult
from engine.clock import current_time, pinned
from engine.replay import (
    Moment,
    RecordedCall,
    RecordedFailure,
    ReplayInvoker,
    ReplayRuntime,
    reloaded,
)
from engine.values import from_json_ready, to_json_ready

from .case_store import NOT_RETRIED, next_status
from .replay_history import ASSIGNMENTS, ENGINE_INPUTS, Recorded, Step

Produced = tuple[str, str | None, dict[str, Any]]  # kind, element id, JSON-ready payload


class CannotApply(Exception):
    """A recorded input does not fit the replayed case (it went somewhere else)."""


class CaseReplay:
    def __init__(self, definition: ProcessDefinition, keep_moments: bool = False) -> None:
        self.definition = definition
        self.keep_moments = keep_moments
        self.moments: list[Moment] = []  # what the last step passed through, if kept
        self.invoker = ReplayInvoker()
        self.runtime: ReplayRuntime | None = None
        self.task_ids: dict[str, str] = {}  # recorded task id -> replayed task id
        self.open_tasks: dict[str, str] = {}  # replayed open user task id -> element id
        self.assignees: dict[str, str | None] = {}
        self.identity: dict[str, Any] = {"business_key": None, "customer_name": None}
        self.keys: set[str] = set()
        self.status = "active"

    def apply(self, step: Step) -> list[Produced]:
        """Run the step's input; returns the events the step records again."""
        event = step.input
        if event.kind in ASSIGNMENTS:
            self._assign(event)
            return []
        if event.kind == "incident_retry_queued":
            self.status = "retrying"
            return []
        self.moments = []
        if event.kind not in ENGINE_INPUTS:
            return []  # a kind replay does not know moves nothing
        self.invoker.expect(*_recorded_calls(step))
        with pinned(_step_time(event)):
            try:
                result, attempt = _RUNNERS[event.kind](self, event)
            except EngineError as error:
                raise CannotApply(str(error)) from error
            produced = self._derive(result, attempt)
        assert self.runtime is not None
        self.moments = self.runtime.take_moments()
        self.runtime = reloaded(self.runtime)
        return produced

    # -- inputs ----------------------------------------------------------------------------

    def _start(self, event: Recorded) -> tuple[RunResult, int]:
        data = from_json_ready(event.payload.get("data") or {})
        runtime = ReplayRuntime.start(self.definition, data, self.invoker)
        assert isinstance(runtime, ReplayRuntime)
        if self.keep_moments:
            runtime.keep_moments()
        self.runtime = runtime
        return runtime.run(), 1

    def _complete(self, event: Recorded) -> tuple[RunResult, int]:
        task_id = self._open_task(event)
        data = from_json_ready(event.payload.get("data") or {})
        return self._live().complete_user_task(task_id, data), 1

    def _message(self, event: Recorded) -> tuple[RunResult, int]:
        payload = event.payload
        return self._live().deliver_message(str(payload.get("name")),
                                            from_json_ready(payload.get("payload") or {})), 1

    def _timers(self, _event: Recorded) -> tuple[RunResult, int]:
        return self._live().fire_due_timers(), 1

    def _background(self, event: Recorded) -> tuple[RunResult, int]:
        runtime = self._live()
        waiting = [task_id for task_id, element in runtime.background_tasks()
                   if element == event.element_id]
        if not waiting:
            raise CannotApply(f"no background task waits at {event.element_id}")
        return runtime.run_background_task(waiting[0]), 1

    def _retry(self, event: Recorded) -> tuple[RunResult, int]:
        task_id = self._failed_task(event)
        result = self._live().retry_failed_task(task_id)
        same = result.incident is not None and result.incident.task_id == task_id
        attempt = int(event.payload.get("attempt") or 1) \
            if event.kind == "retry_attempted" and same else 1
        return result, attempt

    def _skip(self, event: Recorded) -> tuple[RunResult, int]:
        task_id = self._failed_task(event)
        return self._live().skip_failed_task(task_id, str(event.payload.get("reason"))), 1

    def _assign(self, event: Recorded) -> None:
        task_id = self.task_ids.get(str(event.payload.get("task_id")))
        if task_id is None or task_id not in self.open_tasks:
            raise CannotApply("the task is not open in the replay")
        held = self.assignees.get(task_id)
        if held != event.payload.get("from"):
            raise CannotApply(f"the history says the task was held by "
                              f"{event.payload.get('from') or 'nobody'}, the replay has "
                              f"{held or 'nobody'}")
        self.assignees[task_id] = event.payload.get("to")

    def _live(self) -> ReplayRuntime:
        if self.runtime is None:
            raise CannotApply("the case has not started")
        return self.runtime

    def _open_task(self, event: Recorded) -> str:
        task_id = self.task_ids.get(str(event.payload.get("task_id")))
        if task_id is None:  # a task the history did not announce: match by element
            task_id = next((t for t, element in self.open_tasks.items()
                            if element == event.element_id), None)
        if task_id is None or task_id not in self.open_tasks:
            raise CannotApply(f"the task {event.element_id} is not open in the replay")
        return task_id

    def _failed_task(self, event: Recorded) -> str:
        task_id = self.task_ids.get(str(event.payload.get("task_id"))) or \
            self._live().failed_task_at(event.element_id)
        if task_id is None:
            raise CannotApply(f"no task failed at {event.element_id} in the replay")
        return task_id

    # -- what the services record after a step ---------------------------------------------

    def _derive(self, result: RunResult, attempt: int) -> list[Produced]:
        retry = self._retry_event(result.incident, attempt)
        produced: list[Produced] = []
        for event in result.events:
            if retry is not None and event.kind == "incident_raised":
                continue
            if event.kind == "service_called":
                self._take_changes(event.payload.get("case_changes") or {})
            produced.append((event.kind, event.element_id, to_json_ready(event.payload)))
        if retry is not None:
            produced.append(retry)
        produced += self._sync_tasks()
        produced += self._update_status(result, retrying=retry is not None)
        return produced

    def _retry_event(self, incident: IncidentInfo | None, attempt: int) -> Produced | None:
        if incident is None:
            return None
        policy = self._live().retry_policy(incident.element_id)
        if attempt >= policy.attempts or incident.error_type in NOT_RETRIED:
            return None
        due_at = current_time() + policy.delay_after(attempt)
        return ("retry_scheduled", incident.element_id, {
            "task_id": incident.task_id, "attempt": attempt, "attempts": policy.attempts,
            "error_type": incident.error_type, "message": incident.message,
            "due_at": due_at.isoformat()})

    def _take_changes(self, changes: dict[str, Any]) -> None:
        for name in ("business_key", "customer_name"):
            if changes.get(name):
                self.identity[name] = changes[name]
        self.keys.update(changes.get("correlation_keys") or [])

    def _sync_tasks(self) -> list[Produced]:
        ready = {info.task_id: info for info in self._live().ready_user_tasks()}
        for task_id in [t for t in self.open_tasks if t not in ready]:
            del self.open_tasks[task_id]
            self.assignees.pop(task_id, None)
        produced: list[Produced] = []
        for task_id, info in ready.items():
            if task_id not in self.open_tasks:
                self.open_tasks[task_id] = info.element_id
                produced.append(("task_ready", info.element_id, {
                    "task_id": task_id, "title": info.title, "role": info.role,
                    "form_key": info.form_key}))
        return produced

    def _update_status(self, result: RunResult, retrying: bool) -> list[Produced]:
        previous = self.status
        self.status = next_status(previous, self._live(), result, retrying)
        if self.status == "completed" and previous != "completed":
            return [("case_completed", None, {"business_key": self.identity["business_key"]})]
        return []


_RUNNERS: dict[str, Callable[[CaseReplay, Recorded], tuple[RunResult, int]]] = {
    "case_started": CaseReplay._start,
    "task_completed": CaseReplay._complete,
    "message_received": CaseReplay._message,
    "timer_fired": CaseReplay._timers,
    "background_task_run": CaseReplay._background,
    "retry_attempted": CaseReplay._retry,
    "incident_retried": CaseReplay._retry,
    "incident_skipped": CaseReplay._skip,
}


def _step_time(event: Recorded) -> datetime:
    """The instant the step ran at: a timer run says it exactly (`fired_at`)."""
    fired_at = event.payload.get("fired_at") if event.kind == "timer_fired" else None
    return datetime.fromisoformat(fired_at) if isinstance(fired_at, str) else event.at


def _recorded_calls(step: Step) -> tuple[list[RecordedCall], RecordedFailure | None]:
    calls, failure = [], None
    for event in step.derived():
        payload = event.payload
        if event.kind == "service_called":
            calls.append(RecordedCall(event.element_id, str(payload.get("operator")),
                                      payload.get("result") or {},
                                      payload.get("case_changes") or {},
                                      payload.get("records") or []))
        elif event.kind in ("retry_scheduled", "incident_raised") and failure is None:
            failure = RecordedFailure(event.element_id, str(payload.get("error_type")),
                                      str(payload.get("message")))
    return calls, failure
