"""Replaying a case through its own process version, with handlers answered from the history.

The service layer (services/replay*.py) reads the recorded events and decides which input
comes next; this is the SpiffWorkflow-aware half: a runtime that notes which elements
completed (the live tree is pruned, so it must note them as it goes), an invoker that answers
each service call with the recorded result (or raises the recorded failure) and never calls
a handler, and a snapshot of where the case stands.

Asked to (`keep_moments`), the runtime also notes a `Moment` each time it completes an
element an event is recorded at (a service call, a decision, a gateway, an end), a user task
it is handed a form for, or a catching event (the start, a message, a timer): the data right
after that element completed, so each event of a step can show the case as it stood then.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import Task, TaskState

from . import values
from .definitions import ProcessDefinition
from .runtime import CaseRuntime, RunResult
from .spiff import HandlerOutcome, ServiceTaskFailed

LIVE_STATES = (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR)
DIVERGED = "ReplayDivergence"


@dataclass(frozen=True)
class RecordedCall:
    """A `service_called` event: the handler's answer replay hands back."""

    element_id: str | None
    operator: str
    result: dict[str, Any]  # JSON-ready, as recorded
    case_changes: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)  # JSON-ready, as recorded


@dataclass(frozen=True)
class RecordedFailure:
    """A handler failure recorded by `retry_scheduled` or `incident_raised`."""

    element_id: str | None
    error_type: str
    message: str


class ReplayInvoker:
    """Answers service calls from one step's recorded calls, in order; never runs a handler."""

    def __init__(self) -> None:
        self._calls: deque[RecordedCall] = deque()
        self._failure: RecordedFailure | None = None
        self.problems: list[str] = []

    def expect(self, calls: list[RecordedCall], failure: RecordedFailure | None) -> None:
        self._calls, self._failure, self.problems = deque(calls), failure, []

    def unused(self) -> list[RecordedCall]:
        """Recorded calls of the step that the replay did not make."""
        return list(self._calls)

    def __call__(self, task: Task, operator: str, params: dict[str, Any]) -> HandlerOutcome:
        element_id = task.task_spec.bpmn_id
        if self._calls:
            call = self._calls.popleft()
            if (call.element_id, call.operator) == (element_id, operator):
                return HandlerOutcome(values.from_json_ready(call.result), call.case_changes,
                                      call.records)
            self.problems.append(f"replay called {operator} at {element_id} where the history "
                                 f"records {call.operator} at {call.element_id}")
        elif self._failure is not None and self._failure.element_id == element_id:
            failure, self._failure = self._failure, None
            raise ServiceTaskFailed(operator, failure.message, failure.error_type)
        else:
            self.problems.append(f"replay called {operator} at {element_id}, a call the "
                                 "history does not record")
        raise ServiceTaskFailed(operator, "the replay left the recorded path", DIVERGED)


@dataclass(frozen=True)
class Moment:
    """The case right after the engine completed one element (what an event there saw)."""

    element_id: str
    data: dict[str, Any]      # a copy of the element's task data then (results merged)
    completed: list[str]      # element ids completed so far, this one last
    started: bool = False     # the start event of the case itself


class ReplayRuntime(CaseRuntime):
    """A CaseRuntime that remembers the elements it completed, in order, and (if asked) the
    moments a step passed through."""

    def __init__(self, definition: ProcessDefinition, workflow: Any,
                 invoker: ReplayInvoker | None) -> None:
        super().__init__(definition, workflow, invoker)
        self.invoker = invoker
        self.completed: list[str] = []
        self._noted: set[UUID] = set()
        self.moments: list[Moment] | None = None  # None: not kept (replay --all)
        self._events_before = 0
        self._called: Task | None = None  # a service task whose moment is still due

    def keep_moments(self) -> None:
        self.moments = []

    def take_moments(self) -> list[Moment]:
        """The moments noted since the last call (none when they are not kept)."""
        if self.moments is None:
            return []
        taken, self.moments = self.moments, []
        return taken

    def run(self, first: Callable[[], None] | None = None) -> RunResult:
        if first is None or self.moments is None:
            return super().run(first)
        action = first

        def first_then_note() -> None:
            action()  # a worker or a retry runs one service task outside the engine's steps
            if self._called is not None and self._called.state == TaskState.COMPLETED:
                self._note(self._called)
        return super().run(first_then_note)

    def _call_service(self, task: Task, operator: str, params: dict[str, Any]) -> dict[str, Any]:
        result = super()._call_service(task, operator, params)
        self._called = task  # its result lands in its data once it completes
        return result

    def _will_complete(self, task: Task) -> None:
        super()._will_complete(task)
        self._events_before = len(self._events)

    def _did_complete(self, task: Task) -> None:
        super()._did_complete(task)
        if self.moments is None or not task.task_spec.bpmn_id:
            return
        if isinstance(task.task_spec, UserTask | CatchingEvent) or task is self._called \
                or len(self._events) > self._events_before:
            self._note(task)

    def _note(self, task: Task) -> None:
        assert self.moments is not None
        self._called = None
        started = isinstance(task.task_spec, StartEvent) and task.workflow is self.workflow
        self.moments.append(Moment(str(task.task_spec.bpmn_id), copy.deepcopy(task.data),
                                   self.completed + self._newly_completed(), started))

    def _newly_completed(self) -> list[str]:
        """Elements completed since the last prune, in the order they completed."""
        finished = [t for t in self._all_tasks()
                    if t.state == TaskState.COMPLETED and t.id not in self._noted]
        finished.sort(key=lambda t: t.last_state_change)  # stable: tree order on a tie
        return [t.task_spec.bpmn_id for t in finished if t.task_spec.bpmn_id]

    def _prune(self) -> None:
        self.completed += self._newly_completed()
        super()._prune()
        self._noted = {t.id for t in self._all_tasks() if t.state == TaskState.COMPLETED}

    def failed_task_at(self, element_id: str | None) -> str | None:
        """The id of the task that failed at `element_id`, if one did."""
        return next((str(t.id) for t in self._all_tasks() if t.state == TaskState.ERROR
                     and t.task_spec.bpmn_id == element_id), None)


@dataclass(frozen=True)
class Snapshot:
    """Where a case stands: its data, its live tasks and what it completed so far."""

    data: dict[str, Any]
    live: list[tuple[str, str]]  # (element id, state name) of tasks ready, waiting, failed
    completed: bool


def snapshot(runtime: CaseRuntime) -> Snapshot:
    live = [(str(t.task_spec.bpmn_id), TaskState.get_name(t.state))
            for t in runtime._all_tasks() if t.state in LIVE_STATES and t.task_spec.bpmn_id]
    return Snapshot(runtime.case_data(), live, runtime.is_completed())


def restore_stored(definition: ProcessDefinition, workflow_state: dict[str, Any],
                   rows: list[tuple[str, dict[str, Any]]]) -> CaseRuntime:
    """The case as stored, with no invoker: it is only looked at, never run."""
    return CaseRuntime.restore(definition, workflow_state, rows, None)


def reloaded(runtime: ReplayRuntime) -> ReplayRuntime:
    """Save and restore, as the services do between two steps: the restored task order is
    what the next step (and `case_data`, which reads the first live task) sees."""
    saved = runtime.save()
    rows = sorted(((row.workflow_key, row.content) for row in saved.tasks), key=lambda r: r[0])
    again = ReplayRuntime.restore(runtime.definition, saved.workflow_state, rows,
                                  runtime.invoker)
    assert isinstance(again, ReplayRuntime)
    again.completed, again._noted = runtime.completed, runtime._noted
    again.moments = None if runtime.moments is None else []
    return again
