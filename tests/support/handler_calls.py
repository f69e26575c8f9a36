"""Calling a registered handler directly, the way the invoker calls it (its savepoint, its
failure handling), for tests of what handlers read and write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import ServiceTaskFailed
from handlers import REGISTRY
from handlers.registry import HandlerContext
from services.invoker import call_handler

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def run(session: Session, operator: str, params: dict[str, Any], *, task: str = "t1",
        business_key: str | None = None) -> tuple[dict[str, Any], HandlerContext]:
    """The handler's result and context; a failure raises the handler's own error."""
    handler = REGISTRY.get(operator)
    assert handler is not None
    ctx = HandlerContext(session=session, case_id=1, task_id=task, element_id=task,
                         idempotency_key=f"case-1/task-{task}", now=NOW,
                         business_key=business_key)
    try:
        return call_handler(session, operator, handler, ctx, params), ctx
    except ServiceTaskFailed as failed:
        assert failed.__cause__ is not None
        raise failed.__cause__ from None
