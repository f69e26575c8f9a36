"""Starting a case at most once per idempotency key.

A client whose connection dropped after it sent a start cannot tell whether the case was made;
it sends the same key again and gets the first case back instead of a second application.
Keys belong to the user who sent them. The key row is claimed before the case is made, so of
two retries arriving at once the database's unique constraint lets one through and makes the
other wait for it and then answer with its case (PostgreSQL's INSERT ... ON CONFLICT waits for
the first insert's transaction).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import Case, CaseStartKey

from . import cases
from .errors import Conflict, InvalidInput, KeyReused

KEY_MAX_LENGTH = 200
_KEYS = cast(Table, CaseStartKey.__table__)


@dataclass(frozen=True)
class StartedCase:
    case: Case
    replayed: bool  # the key was used before: this is the first attempt's case, nothing new


def start_case_once(session: Session, process_id: str, data: Any, actor: str,
                    roles: Collection[str] | None, key: str | None) -> StartedCase:
    """`cases.start_case`, unless `actor` already started a case with `key`: then that case.

    Without a key every call starts a case. The same key with another process or other data
    raises KeyReused.
    """
    if key is None:
        return StartedCase(cases.start_case(session, process_id, data, actor, roles), False)
    check_key(key)
    fingerprint = request_fingerprint(process_id, data)
    if not _claim(session, actor, key, fingerprint):
        return StartedCase(_earlier_case(session, actor, key, fingerprint), True)
    case = cases.start_case(session, process_id, data, actor, roles)
    session.connection().execute(update(_KEYS).where(
        _KEYS.c.username == actor, _KEYS.c.key == key).values(case_id=case.id))
    return StartedCase(case, False)


def check_key(key: str) -> None:
    """Visible ASCII, 1 to 200 characters (a UUID or a random token fits)."""
    if not 0 < len(key) <= KEY_MAX_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise InvalidInput("the idempotency key must be 1 to 200 visible ASCII characters", {
            "Idempotency-Key": ["Send a random token such as a UUID, the same one on retries."]})


def request_fingerprint(process_id: str, data: Any) -> str:
    """A hash of what was asked for: the same key must come with the same request."""
    text = json.dumps({"process_id": process_id, "data": data}, sort_keys=True, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(session: Session, username: str, key: str, fingerprint: str) -> bool:
    """Insert the key row unless it exists; False when an earlier (or concurrent) start has it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_KEYS).values(
        username=username, key=key, request_hash=fingerprint, case_id=None,
        created_at=current_time()).on_conflict_do_nothing().returning(_KEYS.c.key)
    return session.connection().execute(statement).first() is not None


def _earlier_case(session: Session, username: str, key: str, fingerprint: str) -> Case:
    row = session.execute(select(_KEYS.c.request_hash, _KEYS.c.case_id).where(
        _KEYS.c.username == username, _KEYS.c.key == key)).one()
    if row.case_id is None:  # not committed rows are never seen; kept as a guard
        raise Conflict("a start with this idempotency key is still running; try again")
    if row.request_hash != fingerprint:
        raise KeyReused(f"this idempotency key already started case {row.case_id} with other "
                        "values; send a new key to start another case")
    return cases.get_case(session, row.case_id)
