"""Business numbers (APP-000001, POL-000001, CLM-000001, PAY-000001, CUS-000001).

Numbers come from a NumberSequence row read with SELECT ... FOR UPDATE, so two cases that
register at the same time on PostgreSQL queue on the row instead of taking the same number.
The counter moves inside the caller's transaction: a rolled-back case gives its number back.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import NumberSequence


def _locked(prefix: str) -> Select[tuple[NumberSequence]]:
    # populate_existing: a long-lived session must not reuse a counter value it read earlier.
    return (
        select(NumberSequence)
        .where(NumberSequence.name == prefix)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _lock_sequence(session: Session, prefix: str) -> NumberSequence:
    """Lock the counter row, creating it on first use (a racing creator wins harmlessly)."""
    sequence = session.execute(_locked(prefix)).scalar_one_or_none()
    if sequence is not None:
        return sequence
    try:
        with session.begin_nested():
            session.add(NumberSequence(name=prefix, next_value=1))
    except IntegrityError:
        pass  # another transaction created the row first; lock theirs below
    return session.execute(_locked(prefix)).scalar_one()


def next_number(session: Session, prefix: str) -> str:
    """Take the next number for `prefix`, formatted as PREFIX-000001."""
    sequence = _lock_sequence(session, prefix)
    value = sequence.next_value
    sequence.next_value = value + 1
    session.flush()
    return f"{prefix}-{value:06d}"
