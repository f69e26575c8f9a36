"""Reading and writing the business records handlers work on, as statements on the caller's
connection.

Several handlers run in every step of a case, each in its own savepoint. Loading ORM objects,
tracking their changes and flushing them inside each savepoint cost more than the handlers'
own work, so handlers read rows (a `Record`, read by column name) and write with statements
built once and run on the driver's cursor (models.direct). The caller's transaction still
holds it all: a handler never commits. A number that matches nothing is a business failure
the case reports, not a crash.

While a service task runs, the ids of the payments, policies and claims its handler writes
are noted (`noting_writes`): the invoker records their stored values in the audited history,
so `audit verify` can tell a row changed outside the engine (services.business_records).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import Connection, Row, Select, Table, bindparam, insert, select

from models import Application, Base, Claim, Payment, Policy
from models.direct import DirectRow, DirectStatement, update_by_id

from .registry import HandlerError
from .values import to_text

# A row a handler reads: SQLAlchemy's own, or one read on the driver's cursor (first_row);
# both give values by column name.
Record = Row[Any] | DirectRow

APPLICATION_BY_NUMBER = select(
    Application.id, Application.application_number, Application.status,
    Application.customer_id,
).where(Application.application_number == bindparam("number"))
POLICY_BY_NUMBER = select(
    Policy.id, Policy.policy_number, Policy.customer_id, Policy.status, Policy.effective_date,
    Policy.expiry_date, Policy.sum_insured, Policy.delivered_on,
).where(Policy.policy_number == bindparam("number"))

# The business records whose stored values the audited history keeps, by table name.
AUDITED_RECORDS: dict[str, type[Base]] = {"claim": Claim, "payment": Payment, "policy": Policy}
# table name -> ids written by the handler running now (None: no handler is running)
_WRITTEN: ContextVar[dict[str, set[int]] | None] = ContextVar("insurflow_written_records",
                                                              default=None)

# by model and the columns given
_INSERTS: dict[tuple[type[Base], tuple[str, ...]], DirectStatement] = {}
# a query's direct form, for as long as the query exists
_DIRECT: weakref.WeakKeyDictionary[Select[Any], DirectStatement] = weakref.WeakKeyDictionary()


def first_row(connection: Connection, stmt: Select[Any],
              params: dict[str, Any]) -> DirectRow | None:
    """The first row of a query built once (module level), run on the driver's cursor as a
    models.direct statement; values and column names as SQLAlchemy's own `Row` gives them."""
    direct = _DIRECT.get(stmt)
    if direct is None:
        direct = _DIRECT[stmt] = DirectStatement(stmt)
    return direct.first(connection, params)


def application_row(connection: Connection, stmt: Select[Any], number: Any) -> DirectRow:
    """Run a query keyed by application number (`:number`)."""
    row = first_row(connection, stmt, {"number": to_text(number)})
    if row is None:
        raise HandlerError(f"Application {to_text(number)} does not exist.")
    return row


def get_application(connection: Connection, number: Any) -> DirectRow:
    """An application's id, number, status and customer id, by number."""
    return application_row(connection, APPLICATION_BY_NUMBER, number)


def get_policy(connection: Connection, number: Any) -> DirectRow:
    """A policy's id, number, customer, status, cover period, sum insured and delivery date."""
    policy = first_row(connection, POLICY_BY_NUMBER, {"number": to_text(number)})
    if policy is None:
        raise HandlerError(f"Policy {to_text(number)} does not exist.")
    return policy


@contextmanager
def noting_writes() -> Iterator[dict[str, set[int]]]:
    """Collect the audited records (table name -> ids) written until the block ends."""
    written: dict[str, set[int]] = {}
    token = _WRITTEN.set(written)
    try:
        yield written
    finally:
        _WRITTEN.reset(token)


def note_written(model: type[Base], row_id: int) -> None:
    """Note that the running handler wrote this row (for AUDITED_RECORDS only)."""
    written = _WRITTEN.get()
    table = cast(Table, model.__table__).name
    if written is not None and table in AUDITED_RECORDS:
        written.setdefault(table, set()).add(row_id)


def update_record(connection: Connection, model: type[Base], row_id: int,
                  **values: Any) -> None:
    """Set `values` on the row of `model` with that id (the SET clause follows the names),
    by a statement run on the driver's cursor (models.direct)."""
    update_by_id(cast(Table, model.__table__), tuple(values)).execute(
        connection, {"row_id": row_id, **values})
    note_written(model, row_id)


def insert_record(connection: Connection, model: type[Base], **values: Any) -> int:
    """Insert a row of `model` (the columns' Python-side defaults apply, as in SQLAlchemy's
    own INSERT) and return its id, by a statement run on the driver's cursor."""
    table = cast(Table, model.__table__)
    row = {**_defaults(table, values), **values}
    columns = tuple(row)
    stmt = _INSERTS.get((model, columns))
    if stmt is None:
        stmt = _INSERTS[(model, columns)] = DirectStatement(
            insert(table).returning(table.c.id), columns)
    row_id = int(stmt.first_value(connection, row))
    note_written(model, row_id)
    return row_id


def _defaults(table: Table, given: dict[str, Any]) -> dict[str, Any]:
    """The Python-side default of each column `given` leaves out (server defaults and
    autoincrement ids are the database's)."""
    defaults = {}
    for column in table.columns:
        default = column.default
        if column.key in given or default is None:
            continue
        if getattr(default, "is_scalar", False):
            defaults[column.key] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            defaults[column.key] = default.arg(None)  # type: ignore[attr-defined]
        else:  # a SQL expression or sequence: only SQLAlchemy's own INSERT renders those
            raise ValueError(f"{table.name}.{column.key}: insert_record cannot apply a "
                             f"{type(default).__name__} default")
    return defaults
