"""One running case: start or restore it, run it to its next wait state, complete user tasks.

The runtime records what happened as `EngineEvent`s (decisions, gateway paths, service calls,
incidents, completion); the service layer turns them into audit rows in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ExclusiveGateway, InclusiveGateway
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task, TaskState

from . import state
from .clock import current_time
from .decisions import decision_inputs
from .definitions import ProcessDefinition
from .durations import parse_duration
from .errors import EngineInvariantError, NotWaitingForMessage, TaskNotReady
from .retries import NO_RETRY, RetryPolicy, retry_policy
from .spiff import (
    CaseInvoker,
    HandlerOutcome,
    InsurflowScriptEngine,
    InsurflowServiceTask,
    ServiceTaskFailed,
    make_serializer,
    spec_extensions,
    spec_properties,
)
from .timers import timer_due_at
from .validation import role_for_lane

PRUNE_EVERY_WAVES = 25
_SERIALIZER = make_serializer()
SERIALIZER_VERSION = _SERIALIZER.VERSION


@dataclass(frozen=True)
class EngineEvent:
    kind: str
    element_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncidentInfo:
    task_id: str
    element_id: str
    error_type: str
    message: str


@dataclass(frozen=True)
class UserTaskInfo:
    task_id: str
    element_id: str
    title: str
    role: str
    form_key: str
    instructions: str | None
    due_in: timedelta | None
    priority: int


@dataclass
class RunResult:
    events: list[EngineEvent] = field(default_factory=list)
    incident: IncidentInfo | None = None


class CaseRuntime:
    def __init__(self, definition: ProcessDefinition, workflow: BpmnWorkflow,
                 invoker: CaseInvoker | None) -> None:
        self.definition = definition
        self.workflow = workflow
        self._invoker = invoker
        self._events: list[EngineEvent] = []
        self._pending_decision: dict[str, Any] | None = None
        workflow.script_engine = InsurflowScriptEngine(self._call_service)

    @classmethod
    def start(cls, definition: ProcessDefinition, data: dict[str, Any],
              invoker: CaseInvoker | None) -> CaseRuntime:
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs)
        workflow.task_tree.data = dict(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data = dict(data)
        return cls(definition, workflow, invoker)

    @classmethod
    def restore(cls, definition: ProcessDefinition, workflow_state: dict[str, Any],
                rows: list[tuple[str, dict[str, Any]]], invoker: CaseInvoker | None
                ) -> CaseRuntime:
        rows_by_workflow: dict[str, list[dict[str, Any]]] = {}
        for workflow_key, content in rows:
            rows_by_workflow.setdefault(workflow_key, []).append(content)
        workflow = state.load(_SERIALIZER, definition.spec, definition.subprocess_specs,
                              workflow_state, rows_by_workflow, InsurflowScriptEngine())
        return cls(definition, workflow, invoker)

    def rebind(self, invoker: CaseInvoker | None) -> None:
        """Call handlers through `invoker` from now on: a runtime kept between transactions
        must reach the current transaction's session, never the one it was saved in. What a
        failed run may have left half-recorded is dropped, as a restore would."""
        self._invoker = invoker
        self._events = []
        self._pending_decision = None

    # -- running -------------------------------------------------------------------------

    def run(self, first: Callable[[], None] | None = None) -> RunResult:
        """Run engine tasks until every branch waits for a person, an event or a worker.

        `first`: an action to take before the engine steps (a failure there is an incident too).
        """
        self._events = []
        incident = None
        try:
            if first is not None:
                first()
            self._run_waves()
        except Exception as exc:  # noqa: BLE001 - any task failure becomes an incident
            incident = self._incident_from(exc)
            self._events.append(EngineEvent("incident_raised", incident.element_id, {
                "task_id": incident.task_id, "error_type": incident.error_type,
                "message": incident.message}))
        self._prune()
        if incident is None:
            self._check_invariants()
        return RunResult(list(self._events), incident)

    def _run_waves(self) -> None:
        waves = 0
        # SpiffWorkflow's do_engine_steps() is this loop; we prune between waves so the tree
        # never approaches the iterator's depth limit of 1000. A timer already due (PT0S, a
        # date in the past) fires on refresh and makes engine tasks ready: run those too.
        while True:
            while self.workflow._do_engine_steps(self._will_complete, self._did_complete):
                waves += 1
                if waves % PRUNE_EVERY_WAVES == 0:
                    self._prune()
            self.workflow.refresh_timers()
            if not any(t.state == TaskState.READY and not t.task_spec.manual
                       for t in self._all_tasks()):
                return

    def complete_user_task(self, task_id: str, data: dict[str, Any]) -> RunResult:
        task = self._ready_user_task(task_id)
        task.data = {**task.data, **data}
        task.run()
        self._did_complete(task)  # records nothing for a user task; a replay notes the moment
        return self.run()

    def retry_failed_task(self, task_id: str) -> RunResult:
        task = self._failed_task(task_id)
        task._set_state(TaskState.READY)
        return self.run(task.run)  # run it directly: a background task is never auto-run

    def run_background_task(self, task_id: str) -> RunResult:
        task = self._task(task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not a background task waiting to run")
        return self.run(task.run)

    def fire_due_timers(self) -> RunResult:
        """Let every timer that is due fire and move the case on; records `timer_fired`."""
        now = current_time()
        due = [(t, at) for t in self._all_tasks() if t.state == TaskState.WAITING
               and (at := timer_due_at(t)) is not None and at <= now]
        result = self.run(self.workflow.refresh_timers)
        fired = [EngineEvent("timer_fired", t.task_spec.bpmn_id, {
            "name": t.task_spec.bpmn_name, "due_at": at.isoformat(), "fired_at": now.isoformat()})
            for t, at in due if t.state != TaskState.WAITING]
        result.events[:0] = fired
        return result

    def skip_failed_task(self, task_id: str, reason: str) -> RunResult:
        """Complete a failed task without running it; its result says it was skipped."""
        task = self._failed_task(task_id)
        result_variable = getattr(task.task_spec, "result_variable", None)
        if result_variable:
            task.data[result_variable] = {"skipped": True, "reason": reason}
        task._set_state(TaskState.READY)
        task.complete()
        return self.run()

    def deliver_message(self, name: str, payload: dict[str, Any]) -> RunResult:
        """Hand a message from outside to the event that waits for it, then run on.

        The catching event stores the payload under its message variable (see
        docs/authoring.md); an interrupting boundary event cancels the task it sits on.
        """
        if name not in self.waiting_messages():
            raise NotWaitingForMessage(f"the case is not waiting for the message '{name}'")
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=dict(payload)))
        return self.run()

    # -- inspection ------------------------------------------------------------------------

    def is_completed(self) -> bool:
        return bool(self.workflow.completed)

    def has_failed_task(self) -> bool:
        """Some task is stopped at an error: an open incident, or a retry not yet run."""
        return any(t.state == TaskState.ERROR for t in self._all_tasks())

    def ready_user_tasks(self) -> list[UserTaskInfo]:
        return [self._user_task_info(t) for t in self._all_tasks()
                if t.state == TaskState.READY and isinstance(t.task_spec, UserTask)]

    def waiting_messages(self) -> set[str]:
        """Names of the messages some part of the case waits for right now."""
        return {event.name for event in self.workflow.waiting_events()
                if event.event_type == MessageEventDefinition.__name__}

    def message_catcher(self, name: str) -> str | None:
        """The element id of the event that would catch message `name` now, if any."""
        for task in self.workflow.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                return str(task.task_spec.bpmn_id)
        return None

    def next_timer_due(self) -> datetime | None:
        """The earliest due time of the timers the case waits on (None: no timer)."""
        times = [at for t in self._all_tasks() if t.state == TaskState.WAITING
                 and (at := timer_due_at(t)) is not None]
        return min(times, default=None)

    def background_tasks(self) -> list[tuple[str, str]]:
        """(task id, element id) of background service tasks waiting for a worker."""
        return [(str(t.id), t.task_spec.bpmn_id) for t in self._all_tasks()
                if t.state == TaskState.READY and t.task_spec.manual
                and not isinstance(t.task_spec, UserTask)]

    def retry_policy(self, element_id: str) -> RetryPolicy:
        """Service tasks retry (BPMN properties); a failing script or decision does not."""
        spec = self.definition.spec.task_specs.get(element_id)
        for sub in self.definition.subprocess_specs.values():
            spec = spec or sub.task_specs.get(element_id)
        return retry_policy(spec) if isinstance(spec, InsurflowServiceTask) else NO_RETRY

    def case_data(self) -> dict[str, Any]:
        """The data a person would call "the case data" now."""
        live = [t for t in self._all_tasks()
                if t.state in (TaskState.READY, TaskState.WAITING, TaskState.ERROR)]
        if live:
            return dict(live[0].data)
        last = self.workflow.last_task
        return dict(last.data) if last is not None else dict(self.workflow.data)

    def task_data(self, task_id: str) -> dict[str, Any]:
        """The data a user task's form is completed against (its own branch's data), or the
        case data when the task is unknown (the completion then reports it)."""
        task = self._task(task_id)
        return dict(task.data) if task is not None else self.case_data()

    def save(self) -> state.SavedState:
        return state.dump(_SERIALIZER, self.workflow)

    # -- internals -------------------------------------------------------------------------

    def _prune(self) -> None:
        state.prune(self.workflow)

    def _all_tasks(self) -> list[Task]:
        tasks = list(self.workflow.tasks.values())
        for sub in self.workflow.subprocesses.values():
            tasks.extend(sub.tasks.values())
        return tasks

    def _task(self, task_id: str) -> Task | None:
        for task in self._all_tasks():
            if str(task.id) == task_id:
                return task
        return None

    def _failed_task(self, task_id: str) -> Task:
        task = self._task(task_id)
        if task is None or task.state != TaskState.ERROR:
            raise TaskNotReady(f"task {task_id} has not failed")
        return task

    def _ready_user_task(self, task_id: str) -> Task:
        task = self._task(task_id)
        if task is None or not isinstance(task.task_spec, UserTask) or \
                task.state != TaskState.READY:
            raise TaskNotReady(f"task {task_id} is not an open user task of this case")
        return task

    def _user_task_info(self, task: Task) -> UserTaskInfo:
        spec = task.task_spec
        props = spec_properties(spec)
        due_in = props.get("dueIn")
        return UserTaskInfo(
            task_id=str(task.id),
            element_id=spec.bpmn_id,
            title=spec.bpmn_name or spec.bpmn_id,
            role=role_for_lane(spec.lane or ""),
            form_key=props.get("formKey", ""),
            instructions=spec_extensions(spec).get("instructionsForEndUser"),
            due_in=parse_duration(due_in) if due_in else None,
            priority=int(props.get("priority", 50)),
        )

    def _call_service(self, task: Task, operator: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._invoker is None:
            raise ServiceTaskFailed(operator, "no handler invoker configured", "ConfigError")
        outcome = self._invoker(task, operator, params)
        if not isinstance(outcome, HandlerOutcome):
            outcome = HandlerOutcome(outcome, {})
        result = outcome.result
        payload = {"operator": operator, "name": task.task_spec.bpmn_name, "inputs": params,
                   "result": result}
        if outcome.case_changes:
            payload["case_changes"] = outcome.case_changes
        if outcome.records:
            payload["records"] = outcome.records
        self._events.append(EngineEvent("service_called", task.task_spec.bpmn_id, payload))
        return result

    def _will_complete(self, task: Task) -> None:
        spec = task.task_spec
        if isinstance(spec, BusinessRuleTaskMixin):
            self._pending_decision = decision_inputs(task)

    def _did_complete(self, task: Task) -> None:
        spec = task.task_spec
        if isinstance(spec, BusinessRuleTaskMixin) and self._pending_decision is not None:
            table = spec.dmnEngine.decision_table
            outputs = {out.name: task.data.get(out.name) for out in table.outputs}
            self._events.append(EngineEvent("decision_evaluated", spec.bpmn_id, {
                **self._pending_decision, "outputs": outputs}))
            self._pending_decision = None
        elif isinstance(spec, ExclusiveGateway | InclusiveGateway):
            taken = [{"element_id": c.task_spec.bpmn_id, "name": c.task_spec.bpmn_name}
                     for c in task.children if c.has_state(TaskState.DEFINITE_MASK)]
            self._events.append(EngineEvent("gateway_passed", spec.bpmn_id, {
                "gateway": spec.bpmn_name, "taken": taken}))
        elif isinstance(spec, EndEvent) and task.workflow is self.workflow:
            self._events.append(EngineEvent("end_reached", spec.bpmn_id, {
                "name": spec.bpmn_name}))

    def _incident_from(self, exc: Exception) -> IncidentInfo:
        failed = [t for t in self._all_tasks() if t.state == TaskState.ERROR]
        task = failed[-1] if failed else None
        if isinstance(exc, ServiceTaskFailed):
            error_type, message = exc.error_type, str(exc)
        else:
            # WorkflowTaskException wraps the script's own error and keeps its class name.
            error_type = getattr(exc, "error_type", None) or type(exc).__name__
            if error_type == "unknown":
                error_type = type(exc).__name__
            message = str(exc)
        return IncidentInfo(
            task_id=str(task.id) if task else "",
            element_id=task.task_spec.bpmn_id if task else "",
            error_type=error_type,
            message=str(message)[:2000],
        )

    def _check_invariants(self) -> None:
        """Fail loudly rather than report a case finished while work remains."""
        stuck = [t for t in self._all_tasks()
                 if t.state == TaskState.READY and not t.task_spec.manual]
        if stuck:
            raise EngineInvariantError(
                f"{len(stuck)} engine task(s) are ready but were not run, e.g. "
                f"{stuck[0].task_spec.bpmn_id}")
        if self.workflow.completed:
            open_tasks = [t for t in self._all_tasks()
                          if t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED)]
            if open_tasks:
                raise EngineInvariantError(
                    f"the case reached its end while {len(open_tasks)} task(s) were still open")

