"""Business numbers (APP-000001, POL-000001, CLM-000001, PAY-000001, CUS-000001).

A number is taken with one `UPDATE number_sequence SET next_value = next_value + 1 ...
RETURNING`: the UPDATE locks the counter row, so two cases registering at the same time on
PostgreSQL queue on the row instead of taking the same number. The counter moves inside the
caller's transaction: a rolled-back case gives its number back.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import NumberSequence

# Built once and run on the session's connection: every case takes several numbers, and
# building the statement (and its cache key) per call cost more than running it. The counter
# is never loaded as an object, so the ORM has nothing to synchronise.
_TAKE = (
    update(NumberSequence)
    .where(NumberSequence.name == bindparam("prefix"))
    .values(next_value=NumberSequence.next_value + 1)
    .returning(NumberSequence.next_value - 1)
)


def _take(session: Session, prefix: str) -> int | None:
    taken = session.connection().execute(_TAKE, {"prefix": prefix}).scalar_one_or_none()
    return int(taken) if taken is not None else None


def next_number(session: Session, prefix: str) -> str:
    """Take the next number for `prefix`, formatted as PREFIX-000001."""
    value = _take(session, prefix)
    if value is None:
        try:
            with session.begin_nested():  # first use: create the counter (a racer may win)
                session.add(NumberSequence(name=prefix, next_value=1))
        except IntegrityError:
            pass
        value = _take(session, prefix)
    assert value is not None
    return f"{prefix}-{value:06d}"
