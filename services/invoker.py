"""Calls service-task handlers inside a savepoint so a failure leaves no half-written rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from engine import HandlerOutcome, ServiceTaskFailed
from engine.clock import current_time
from engine.values import dumps
from handlers import REGISTRY
from handlers.records import noting_writes
from handlers.registry import HandlerContext, HandlerError
from models import Application, Case, CaseKey, Claim, Customer, Payment, Policy, Product
from models.db import run_fixed_sql
from models.direct import DirectStatement

from . import audit
from .business_records import written_records
from .unit_of_work import expire_loaded


def make_invoker(session: Session, case: Case):  # type: ignore[no-untyped-def]
    def invoke(task: Any, operator: str, params: dict[str, Any]) -> HandlerOutcome:
        handler = REGISTRY.get(operator)
        if handler is None:
            raise ServiceTaskFailed(operator, f"no handler is registered for '{operator}'",
                                    "MissingHandler")
        ctx = HandlerContext(session=session, case_id=case.id, task_id=str(task.id),
                             element_id=task.task_spec.bpmn_id,
                             idempotency_key=f"case-{case.id}/task-{task.id}",
                             now=current_time(), business_key=case.business_key)
        with noting_writes() as written:
            result = call_handler(session, operator, handler, ctx, params)
        records = written_records(ctx.connection, written) if written else []
        changes = case_changes(ctx)
        if ctx.new_business_key:
            case.business_key = ctx.new_business_key
        if ctx.new_customer_name:
            case.customer_name = ctx.new_customer_name
        for key in ctx.correlation_keys:
            _link_key(session, case.id, key)
        return HandlerOutcome(result, changes, records)

    return invoke


_KEY_OWNER = DirectStatement(select(CaseKey.case_id).where(CaseKey.key == bindparam("key")))
_ADD_KEY = DirectStatement(insert(CaseKey), ("key", "case_id"))


def _link_key(session: Session, case_id: int, key: str) -> None:
    """Let messages find the case by `key` too (a key already linked stays with its case)."""
    connection = session.connection()
    if _KEY_OWNER.first(connection, {"key": key}) is None:
        _ADD_KEY.execute(connection, {"key": key, "case_id": case_id})


def case_changes(ctx: HandlerContext) -> dict[str, Any]:
    """What the handler changed on the case, for its `service_called` event (replay restores
    and checks it): only the fields it set."""
    changes: dict[str, Any] = {}
    if ctx.new_business_key:
        changes["business_key"] = ctx.new_business_key
    if ctx.new_customer_name:
        changes["customer_name"] = ctx.new_customer_name
    if ctx.correlation_keys:
        changes["correlation_keys"] = list(ctx.correlation_keys)
    return changes


# The business records handlers write with statements (handlers.records), behind the ORM's back.
BUSINESS_RECORDS = (Application, Claim, Customer, Payment, Policy, Product)


def call_handler(session: Session, operator: str, handler: Any, ctx: HandlerContext,
                 params: dict[str, Any]) -> dict[str, Any]:
    """Run the handler in a savepoint: its writes stay only if it returns a JSON-ready dict.

    A handler's failure becomes `ServiceTaskFailed` (an incident or a retry, never a crash).
    """
    try:
        if REGISTRY.uses_orm(operator):
            result = _in_orm_savepoint(session, handler, ctx, params)
        else:
            result = _in_savepoint(session, handler, ctx, params)
        expire_loaded(session, lambda loaded: isinstance(loaded, BUSINESS_RECORDS))
    except HandlerError as error:
        raise ServiceTaskFailed(operator, str(error), "HandlerError") from error
    except Exception as error:  # noqa: BLE001 - any handler crash becomes an incident
        raise ServiceTaskFailed(operator, f"{type(error).__name__}: {error}",
                                type(error).__name__) from error
    if not isinstance(result, dict):
        raise ServiceTaskFailed(operator, "the handler did not return a dict", "BadResult")
    try:
        dumps(result)
    except TypeError as error:
        raise ServiceTaskFailed(operator, f"the handler result is not JSON: {error}",
                                "BadResult") from error
    return result


def _in_orm_savepoint(session: Session, handler: Any, ctx: HandlerContext,
                      params: dict[str, Any]) -> Any:
    """For a handler that changes ORM objects: they are flushed inside its savepoint."""
    audit.write_pending(session)  # a flush with nothing dirty would not write them
    with session.begin_nested():
        result = handler(ctx, params)
        session.flush()
    return result


def _in_savepoint(session: Session, handler: Any, ctx: HandlerContext,
                  params: dict[str, Any]) -> Any:
    """For a handler that only runs statements: a savepoint by statement, with no ORM flush
    before or inside it (the ORM's pending changes wait for the next flush outside)."""
    connection = ctx.connection
    run_fixed_sql(connection, "SAVEPOINT insurflow_handler")
    try:
        with session.no_autoflush:
            result = handler(ctx, params)
    except BaseException:
        run_fixed_sql(connection, "ROLLBACK TO SAVEPOINT insurflow_handler")
        run_fixed_sql(connection, "RELEASE SAVEPOINT insurflow_handler")
        raise
    run_fixed_sql(connection, "RELEASE SAVEPOINT insurflow_handler")
    return result
