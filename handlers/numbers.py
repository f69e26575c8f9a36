"""Business numbers (APP-000001, POL-000001, CLM-000001, PAY-000001, CUS-000001).

A number is taken with one `UPDATE number_sequence SET next_value = next_value + 1 ...
RETURNING`: the UPDATE locks the counter row, so two cases registering at the same time on
PostgreSQL queue on the row instead of taking the same number. The counter moves inside the
caller's transaction: a rolled-back case gives its number back.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import NumberSequence
from models.db import run_fixed_sql
from models.direct import DirectStatement

# Built once and run on the driver's cursor: every case takes several numbers. The counter is
# never loaded as an object.
_TAKE = DirectStatement(
    update(NumberSequence)
    .where(NumberSequence.name == bindparam("prefix"))
    .values(next_value=NumberSequence.next_value + 1)
    .returning(NumberSequence.next_value - 1)
)
_CREATE = insert(NumberSequence)


def _take(connection: Connection, prefix: str) -> int | None:
    taken = _TAKE.first_value(connection, {"prefix": prefix})
    return int(taken) if taken is not None else None


def next_number(database: Connection | Session, prefix: str) -> str:
    """Take the next number for `prefix`, formatted as PREFIX-000001."""
    connection = database.connection() if isinstance(database, Session) else database
    value = _take(connection, prefix)
    if value is None:
        _create_counter(connection, prefix)
        value = _take(connection, prefix)
    assert value is not None
    return f"{prefix}-{value:06d}"


def _create_counter(connection: Connection, prefix: str) -> None:
    """First use of a prefix: create its counter; a racer that created it first wins.

    A savepoint of its own, by statement: an ORM savepoint would flush the session here,
    inside the handler's savepoint."""
    run_fixed_sql(connection, "SAVEPOINT insurflow_counter")
    try:
        connection.execute(_CREATE, {"name": prefix, "next_value": 1})
    except IntegrityError:
        run_fixed_sql(connection, "ROLLBACK TO SAVEPOINT insurflow_counter")
    run_fixed_sql(connection, "RELEASE SAVEPOINT insurflow_counter")
