"""Loading a case's runtime from its rows and writing back only what a step changed.

A step's writes are fixed statements run on the driver's cursor (models.direct), not ORM
flushes: the case row is claimed by its version counter first, then task rows, human tasks
and jobs are written, and the case's changed columns last. The loaded `Case` object takes
the written values as committed ones, so the commit has nothing left to flush but history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import CaseRuntime, IncidentInfo, ProcessDefinition, RunResult, UserTaskInfo
from engine.clock import current_time
from engine.state import TaskRow
from models import Case, CaseTaskState, HumanTask, Incident, ProcessVersion
from models.base import EncodedJson
from models.direct import DirectStatement, every_column, update_by_id

from . import audit, jobs, runtime_cache
from .errors import Conflict
from .invoker import make_invoker
from .processes import definition_for
from .unit_of_work import CHANGED_MEANWHILE, expire_loaded

# A handler's deliberate refusal (HandlerError) or a wiring fault gives the same answer every
# time: those stop the case at once. Anything else (a timeout, a connection reset) is retried.
NOT_RETRIED = frozenset({"HandlerError", "MissingHandler", "BadResult", "ConfigError"})


# Built once (building one costs more than running it); models.direct compiles each once.
_STATE = cast(Table, CaseTaskState.__table__)
# in no order: the engine puts them back in tree order
_STATE_ROWS = (select(_STATE.c.task_id, _STATE.c.workflow_key, _STATE.c.digest,
                      _STATE.c.content)
               .where(_STATE.c.case_id == bindparam("case_id")))
_ROW_VALUES = ("workflow_key", "digest", "content")
_INSERT_ROWS = DirectStatement(insert(_STATE), ("case_id", "task_id", *_ROW_VALUES))
_UPDATE_ROW = DirectStatement(update(_STATE).where(_STATE.c.case_id == bindparam("key_case"),
                                                   _STATE.c.task_id == bindparam("key_task")),
                              _ROW_VALUES)
_DELETE_ROW = DirectStatement(delete(_STATE).where(_STATE.c.case_id == bindparam("case_id"),
                                                   _STATE.c.task_id == bindparam("task_id")))
_CASES = cast(Table, Case.__table__)
_CLAIM_CASE = DirectStatement(
    update(_CASES).where(_CASES.c.id == bindparam("case_id"),
                         _CASES.c.version_id == bindparam("expected_version"))
    .values(version_id=bindparam("next_version")))
_TASKS = cast(Table, HumanTask.__table__)
_OPEN_TASK_IDS = select(_TASKS.c.id).where(_TASKS.c.case_id == bindparam("case_id"),
                                           _TASKS.c.status == "open")
_INSERT_TASK = DirectStatement(insert(_TASKS), every_column(_TASKS))
# `status = 'open'`: a task some other writer closed meanwhile keeps its own ending
_CANCEL_TASK = DirectStatement(
    update(_TASKS).where(_TASKS.c.id == bindparam("task_id"), _TASKS.c.status == "open")
    .values(status="cancelled", completed_at=bindparam("cancelled_at")))
_TASK_IDENTITY = DirectStatement(
    update(_TASKS).where(_TASKS.c.case_id == bindparam("of_case"), _TASKS.c.status == "open")
    .values(process_id=bindparam("new_process"), business_key=bindparam("new_key"),
            customer_name=bindparam("new_name"), customer_search=bindparam("new_search")))


@dataclass
class LoadedCase:
    case: Case
    runtime: CaseRuntime
    # task id -> digest of the row as stored, to write only what changed
    rows: dict[str, str] = field(default_factory=dict)
    # ids of the case's open human task rows, if known without a query (see task_done)
    open_tasks: set[str] | None = None
    # the case's identity as its open human task rows carry it (see _case_identity)
    identity: dict[str, str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.identity = _case_identity(self.case)

    def task_done(self, task_id: str) -> None:
        """The caller closed this human task row of the case (in this transaction)."""
        if self.open_tasks is not None:
            self.open_tasks.discard(task_id)


def definition_of(session: Session, case: Case) -> ProcessDefinition:
    """The case's parsed version: the kept runtime's, else looked up once per session
    (versions never change)."""
    kept = runtime_cache.CACHE.peek(case)
    if kept is not None:
        return kept.runtime.definition
    known: dict[int, ProcessDefinition] = session.info.setdefault("insurflow.definitions", {})
    definition = known.get(case.process_version_id)
    if definition is None:
        version = session.get(ProcessVersion, case.process_version_id)
        assert version is not None  # FK guarantees it
        definition = known[case.process_version_id] = definition_for(session, version)
    return definition


def load(session: Session, case: Case) -> LoadedCase:
    """The case's runtime, to move it on: the one this process kept at its last commit if
    the row is still that commit's, else restored from the rows."""
    kept = runtime_cache.CACHE.take(case)
    if kept is not None:
        kept.runtime.rebind(make_invoker(session, case))
        return LoadedCase(case, kept.runtime, dict(kept.rows), set(kept.open_tasks))
    return restore(session, case)


def restore(session: Session, case: Case) -> LoadedCase:
    """The case's runtime rebuilt from its stored rows (for reading, or on a cache miss)."""
    rows = session.connection().execute(_STATE_ROWS, {"case_id": case.id}).all()
    runtime = CaseRuntime.restore(definition_of(session, case), case.workflow_state,
                                  [(r.workflow_key, r.content) for r in rows],
                                  make_invoker(session, case))
    return LoadedCase(case, runtime, {r.task_id: r.digest for r in rows})


def save(session: Session, loaded: LoadedCase, result: RunResult, attempt: int = 1) -> None:
    """Persist the step: task rows that changed, human tasks, history, jobs, status.

    `attempt`: which attempt of a failed service task this step was (1 unless a retry job
    runs it); a failure with attempts left schedules a retry instead of an incident.
    """
    case, runtime = loaded.case, loaded.runtime
    saved = runtime.save()
    # Written by statement as it goes; the history once, at commit.
    with session.no_autoflush:
        _claim_case_row(session, case)
        _write_rows(session, loaded, saved.tasks)
        retry = _retry_or_incident(session, loaded, result.incident, attempt) \
            if result.incident is not None else None
        retrying = retry is not None
        for event in result.events:
            if not (retrying and event.kind == "incident_raised"):
                audit.record(session, case, event.kind, audit.SYSTEM, event.element_id,
                             event.payload)
        if retry is not None:  # after the run's own events: the history reads in order
            audit.record(session, case, "retry_scheduled", audit.SYSTEM, retry[0], retry[1])
        open_tasks = _sync_human_tasks(session, loaded)
        jobs.sync_case_jobs(session, case, runtime.next_timer_due(), runtime.background_tasks())
        _update_status(session, case, runtime, result, retrying)
        token = runtime_cache.saved(session, case, runtime, loaded.rows, open_tasks)
        case.workflow_state = {**saved.workflow_state, runtime_cache.TOKEN: token}
        _write_case(session, case)


def _retry_or_incident(session: Session, loaded: LoadedCase, incident: IncidentInfo,
                       attempt: int) -> tuple[str, dict[str, Any]] | None:
    """Schedule the next attempt (its `retry_scheduled` event: element id, payload) or, with
    none left, open an incident (None)."""
    case, now = loaded.case, current_time()
    policy = loaded.runtime.retry_policy(incident.element_id)
    error = f"{incident.error_type}: {incident.message}"
    if attempt < policy.attempts and incident.error_type not in NOT_RETRIED:
        due_at = now + policy.delay_after(attempt)
        jobs.schedule_retry(session, case, incident.task_id, incident.element_id, attempt,
                            due_at, error)
        return incident.element_id, {
            "task_id": incident.task_id, "attempt": attempt, "attempts": policy.attempts,
            "error_type": incident.error_type, "message": incident.message,
            "due_at": due_at.isoformat()}
    session.add(Incident(case_id=case.id, task_id=incident.task_id,
                         element_id=incident.element_id, error_type=incident.error_type,
                         message=incident.message, status="open", created_at=now,
                         attempts=attempt, last_attempt_at=now))
    return None


def _write_rows(session: Session, loaded: LoadedCase, rows: list[TaskRow]) -> None:
    """INSERT/UPDATE/DELETE (one executemany each) of the task rows that changed."""
    case_id, stored = loaded.case.id, loaded.rows
    added, changed = [], []
    for row in rows:
        values = {"case_id": case_id, "task_id": row.task_id, "workflow_key": row.workflow_key,
                  "digest": row.digest, "content": EncodedJson(row.text)}
        known = stored.get(row.task_id)
        if known is None:
            added.append(values)
        elif known != row.digest:
            changed.append(values)
        stored[row.task_id] = row.digest
    current = {row.task_id for row in rows}
    gone = [task_id for task_id in stored if task_id not in current]
    connection = session.connection()
    if added:
        _INSERT_ROWS.execute(connection, added)
    if changed:
        _UPDATE_ROW.execute(connection, [_keyed(values) for values in changed])
    if gone:
        _DELETE_ROW.execute(connection, [{"case_id": case_id, "task_id": task_id}
                                         for task_id in gone])
        for task_id in gone:
            del stored[task_id]


def _keyed(values: dict[str, object]) -> dict[str, object]:
    """Row values for the UPDATE: the primary key goes to the WHERE binds."""
    keyed = {name: value for name, value in values.items() if name not in ("case_id", "task_id")}
    return {**keyed, "key_case": values["case_id"], "key_task": values["task_id"]}


def _sync_human_tasks(session: Session, loaded: LoadedCase) -> set[str]:
    """Mirror the runtime's ready user tasks as rows, by statement: new ones are inserted,
    open ones no longer ready are cancelled, and open ones take a changed business key or
    customer name of the case. Returns the ids of the case's open task rows now.

    Only this function and a completion (`LoadedCase.task_done`) open or close a task row,
    each in the transaction that saves the case, so the open ids a kept runtime was saved
    with are still the stored ones; a restored runtime reads them."""
    case, now, connection = loaded.case, current_time(), session.connection()
    ready = {info.task_id: info for info in loaded.runtime.ready_user_tasks()}
    open_ids = loaded.open_tasks
    if open_ids is None:
        open_ids = set(connection.execute(_OPEN_TASK_IDS, {"case_id": case.id}).scalars())
    gone = [task_id for task_id in open_ids if task_id not in ready]
    if gone:
        _CANCEL_TASK.execute(connection, [{"task_id": task_id, "cancelled_at": now}
                                          for task_id in gone])
        cancelled = set(gone)
        expire_loaded(session, lambda loaded: isinstance(loaded, HumanTask)
                      and loaded.id in cancelled)
    identity = _case_identity(case)
    if identity != loaded.identity and len(gone) < len(open_ids):
        _TASK_IDENTITY.execute(connection, {"of_case": case.id, **identity})
    new = [info for task_id, info in ready.items() if task_id not in open_ids]
    if new:
        _INSERT_TASK.execute(connection, [_task_row(case.id, info, identity, now)
                                          for info in new])
    for info in new:
        audit.record(session, case, "task_ready", audit.SYSTEM, info.element_id,
                     {"task_id": info.task_id, "title": info.title, "role": info.role,
                      "form_key": info.form_key})
    loaded.open_tasks = {task_id for task_id in open_ids if task_id in ready} | {
        info.task_id for info in new}
    return loaded.open_tasks


def _case_identity(case: Case) -> dict[str, str | None]:
    """What the inbox filters and searches on without joining the case (its bind names)."""
    return {"new_process": case.process_id, "new_key": case.business_key,
            "new_name": case.customer_name,
            "new_search": case.customer_name.lower() if case.customer_name else None}


def _task_row(case_id: int, info: UserTaskInfo, identity: dict[str, str | None],
              now: datetime) -> dict[str, object]:
    return {"id": info.task_id, "case_id": case_id, "process_id": identity["new_process"],
            "business_key": identity["new_key"], "customer_name": identity["new_name"],
            "customer_search": identity["new_search"], "element_id": info.element_id,
            "title": info.title, "form_key": info.form_key, "role": info.role,
            "instructions": info.instructions, "status": "open", "assignee": None,
            "claimed_at": None, "priority": info.priority, "created_at": now,
            "due_at": now + info.due_in if info.due_in else None, "completed_at": None,
            "completed_by": None}


def _claim_case_row(session: Session, case: Case) -> None:
    """Move the case's version counter before the step writes anything: a row another
    transaction moved on first is a conflict (nothing of the step is kept, and none of its
    writes can fail first on what that transaction wrote), and from here this transaction
    holds the row until it ends."""
    expected = case.version_id
    claimed = _CLAIM_CASE.execute(session.connection(), {
        "case_id": case.id, "expected_version": expected, "next_version": expected + 1})
    if claimed != 1:
        raise Conflict(CHANGED_MEANWHILE)
    set_committed_value(case, "version_id", expected + 1)


def _write_case(session: Session, case: Case) -> None:
    """Write the case's changed columns by statement (the ORM would spend a unit of work of
    its own on this one row at commit); the loaded object takes them as committed values."""
    audit.settle_head(session, case)
    state = inspect(case)
    # Only values that differ: a column set to what it held (status "active" again, no timer
    # again) would still rewrite that column's index pages.
    changed = {key: getattr(case, key) for key, before in state.committed_state.items()
               if getattr(case, key) != before}
    if changed:
        update_by_id(_CASES, tuple(sorted(changed))).execute(
            session.connection(), {"row_id": case.id, **changed})
    # Every change is written: take the object's values as committed and clear its
    # "modified" mark, as a flush would (else the commit still runs a whole, empty flush for
    # it). SQLAlchemy has no public call for this.
    state._commit_all(state.dict, session.identity_map)


def next_status(previous: str, runtime: CaseRuntime, result: RunResult,
                retrying: bool) -> str:
    """The case's status after a step; replay derives it with this same rule."""
    if retrying:
        return "retrying"
    if result.incident is not None:
        return "incident"
    if runtime.has_failed_task():
        return previous  # another branch is still stopped there: 'incident' or 'retrying'
    return "completed" if runtime.is_completed() else "active"


def _update_status(session: Session, case: Case, runtime: CaseRuntime,
                   result: RunResult, retrying: bool) -> None:
    now = current_time()
    case.updated_at = now
    status = next_status(case.status, runtime, result, retrying)
    if status == "completed" and case.status != "completed":
        case.completed_at = now
        audit.record(session, case, "case_completed", audit.SYSTEM, None,
                     {"business_key": case.business_key})
    case.status = status
