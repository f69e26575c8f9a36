"""The service-task handler registry, keyed by the BPMN `serviceTaskOperator` id.

A handler is a plain typed function: it receives a `HandlerContext` (the caller's session,
the case and task it runs for, a stable idempotency key) and the evaluated parameters of the
service task, and returns a JSON-serialisable dict (Decimal and date values are allowed).
Handlers never commit and never open sessions of their own: the caller owns the transaction.
Insurflow's own handlers read and write with statements on `ctx.connection` (see
`handlers.records` for why) and register with `orm=False`: the caller then wraps them in a
plain savepoint, without the ORM's flush and snapshot around it. A handler that changes ORM
objects on `ctx.session` registers as usual (`orm=True`): its changes are flushed inside its
savepoint and undone with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session


class HandlerError(Exception):
    """A business failure a handler reports on purpose (becomes an incident with this text)."""


@dataclass
class HandlerContext:
    session: Session
    case_id: int
    task_id: str
    element_id: str
    # Same for every attempt of the same task in the same case: use it to make effects idempotent.
    idempotency_key: str
    now: datetime
    business_key: str | None = None
    new_business_key: str | None = field(default=None)
    new_customer_name: str | None = field(default=None)
    correlation_keys: list[str] = field(default_factory=list)

    @cached_property
    def connection(self) -> Connection:
        """The session's connection, inside the caller's transaction and savepoint."""
        return self.session.connection()

    @property
    def today(self) -> date:
        return self.now.date()

    def set_business_key(self, key: str) -> None:
        """Attach the case to an application, policy or claim number."""
        self.new_business_key = key
        self.business_key = key

    def add_correlation_key(self, key: str) -> None:
        """Let messages find this case by another business number too (e.g. a policy number)."""
        if key not in self.correlation_keys:
            self.correlation_keys.append(key)

    def set_customer_name(self, name: str) -> None:
        """Name the customer the case is about, for the inbox and case search."""
        self.new_customer_name = name


Handler = Callable[[HandlerContext, dict[str, Any]], dict[str, Any]]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._statements_only: set[str] = set()

    def register(self, operator: str, *, orm: bool = True) -> Callable[[Handler], Handler]:
        """`orm=False`: the handler changes no ORM object and never flushes the session; it
        reads and writes with statements on `ctx.connection` only."""

        def decorate(fn: Handler) -> Handler:
            if operator in self._handlers:
                raise ValueError(f"handler {operator!r} registered twice")
            self._handlers[operator] = fn
            if not orm:
                self._statements_only.add(operator)
            return fn

        return decorate

    def get(self, operator: str) -> Handler | None:
        return self._handlers.get(operator)

    def uses_orm(self, operator: str) -> bool:
        return operator not in self._statements_only

    def names(self) -> set[str]:
        return set(self._handlers)


REGISTRY = HandlerRegistry()
handler = REGISTRY.register
