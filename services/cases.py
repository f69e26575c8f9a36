"""Starting cases and reading them back with their tasks and history."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from engine import SERIALIZER_VERSION, CaseRuntime, EngineInvariantError, form_path, start_role
from engine.clock import current_time, one_instant
from models import AuditEvent, Case, HumanTask, Incident, ProcessVersion
from models.direct import DirectStatement, every_column
from models.engine import GENESIS_HASH

from . import audit, case_store
from .case_access import case_filter, visible_case
from .errors import InvalidInput, NotFound, PermissionDenied
from .forms import load_schema, validate_form_text
from .invoker import make_invoker
from .processes import require_latest, version_definition
from .roles import ALL_ROLES, Actor
from .unit_of_work import as_loaded


@dataclass(frozen=True)
class CaseView:
    case: Case
    version: ProcessVersion
    data: dict[str, Any]
    open_tasks: list[HumanTask]
    events: list[AuditEvent]
    incidents: list[Incident]


@dataclass(frozen=True)
class StartForm:
    process_id: str
    name: str
    schema: dict[str, Any]
    role: str | None  # the lane of the start event: who may start such a case


def start_form(session: Session, process_id: str) -> StartForm:
    """The newest version's start form, for a page that starts a case."""
    version = require_latest(session, process_id)
    definition = version_definition(session, version)
    if definition.start_form_key is None:
        raise NotFound(f"the process '{process_id}' has no start form")
    schema = load_schema(definition.files[form_path(definition.start_form_key)])
    return StartForm(process_id, version.name, schema, start_role(definition))


@one_instant
def start_case(session: Session, process_id: str, data: Any, actor: str,
               roles: Collection[str] | None = None) -> Case:
    """Validate the start form, create the case on the newest version and run it.

    `roles`: the person's roles, checked against the start event's lane (None: not checked).
    """
    version = require_latest(session, process_id)
    definition = version_definition(session, version)
    role = start_role(definition)
    if roles is not None and role is not None and role not in roles:
        raise PermissionDenied(f"starting a {version.name} case is for the "
                               f"{ALL_ROLES.get(role, role).lower()} role")
    typed = _validated_start_data(definition.files, definition.start_form_key, data)
    case = _insert_case(session, version.id, process_id, actor)
    audit.record(session, case, "case_started", actor, None, {
        "process_id": process_id, "version": version.version,
        "content_hash": version.content_hash, "data": typed})
    runtime = CaseRuntime.start(definition, typed, make_invoker(session, case))
    _run_and_save(session, case_store.LoadedCase(case, runtime, open_tasks=set()), runtime)
    return case


_CASES = cast(Table, Case.__table__)
_INSERT_CASE = DirectStatement(insert(_CASES).returning(_CASES.c.id),
                               every_column(_CASES, "id"))


def _insert_case(session: Session, version_id: int, process_id: str, actor: str) -> Case:
    """The new case row, by a statement on the driver's cursor (an ORM flush costs more than
    the insert itself); the object is attached as if loaded, so later steps treat it like any
    case read back."""
    now = current_time()
    values: dict[str, Any] = {
        "process_version_id": version_id, "process_id": process_id, "business_key": None,
        "customer_name": None, "status": "active", "version_id": 1, "workflow_state": {},
        "serializer_version": SERIALIZER_VERSION, "last_event_seq": 0,
        "head_hash": GENESIS_HASH, "started_by": actor, "created_at": now, "updated_at": now,
        "completed_at": None, "next_due_at": None}
    case_id = int(_INSERT_CASE.first_value(session.connection(), values))
    return as_loaded(session, Case, {"id": case_id, **values})


def _validated_start_data(files: dict[str, str], form_key: str | None,
                          data: Any) -> dict[str, Any]:
    if data is None:
        data = {}
    if form_key is None:
        if not isinstance(data, dict):
            raise InvalidInput("the start data must be a JSON object")
        return dict(data)
    return validate_form_text(files[form_path(form_key)], data)


def _run_and_save(session: Session, loaded: case_store.LoadedCase,
                  runtime: CaseRuntime) -> None:
    try:
        result = runtime.run()
    except EngineInvariantError as error:
        raise RuntimeError(f"case {loaded.case.id}: {error}") from error
    case_store.save(session, loaded, result)


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    case = session.get(Case, case_id, with_for_update=for_update, populate_existing=for_update)
    if case is None:
        raise NotFound(f"there is no case {case_id}")
    return case


def show_case(session: Session, case_id: int, *, viewer: Actor | None) -> CaseView:
    """The case with its tasks and history, for a viewer who may see it (case_access)."""
    case = visible_case(session, viewer, case_id)
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None
    loaded = case_store.restore(session, case)
    open_tasks = list(session.scalars(select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.status == "open").order_by(HumanTask.created_at)))
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                  .order_by(AuditEvent.seq)))
    incidents = list(session.scalars(select(Incident).where(Incident.case_id == case.id)
                                     .order_by(Incident.id)))
    return CaseView(case, version, loaded.runtime.case_data(), open_tasks, events, incidents)


def find_cases(session: Session, business_key: str | None = None,
               status: str | None = None, limit: int = 50, *,
               viewer: Actor | None) -> list[Case]:
    """Newest first, only the cases the viewer may see (case_access)."""
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    reach = case_filter(session, viewer)
    if reach is not None:
        query = query.where(reach)
    if business_key:
        query = query.where(Case.business_key == business_key)
    if status:
        query = query.where(Case.status == status)
    return list(session.scalars(query))
