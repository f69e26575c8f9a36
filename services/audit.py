"""Appending to a case's history; the only writer of AuditEvent rows.

Events are numbered at once but written in batches: a session buffers them and writes them
with one multi-row INSERT at its next flush (so any later query in the same transaction sees
them), and the case's `last_event_seq` is set once, just before commit. A step that records
ten events therefore costs one INSERT and no extra UPDATE of the case row.

Each event is hashed as it is queued (services.audit_chain), chained to the session's head of
the case, so the chain costs no extra read; the case's `head_hash` is set with its
`last_event_seq`.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, event, insert, inspect
from sqlalchemy.orm import Session, SessionTransaction

from engine import values
from engine.clock import current_time
from models import AuditEvent, Case
from models.direct import DirectStatement, every_column

from .audit_chain import GENESIS, event_hash, format_at

SYSTEM = "system"
_PENDING = "insurflow.audit.pending"
_HEADS = "insurflow.audit.heads"
_EVENTS = cast(Table, AuditEvent.__table__)
_INSERT = DirectStatement(insert(_EVENTS), every_column(_EVENTS, "id"))


def record(session: Session, case: Case, kind: str, actor: str,
           element_id: str | None = None, payload: dict[str, Any] | None = None) -> int:
    """Queue one event for the case, chained to the one before; returns its sequence number."""
    heads: dict[int, tuple[Case, int, str]] = session.info.setdefault(_HEADS, {})
    _, last, prev_hash = heads.get(case.id, (case, case.last_event_seq,
                                             case.head_hash or GENESIS))
    seq, at, ready = last + 1, current_time(), values.to_json_ready(payload or {})
    digest = event_hash(case_id=case.id, seq=seq, at=format_at(at), actor=actor, kind=kind,
                        element_id=element_id, payload=ready, prev_hash=prev_hash)
    heads[case.id] = (case, seq, digest)
    session.info.setdefault(_PENDING, []).append({
        "case_id": case.id, "seq": seq, "at": at, "actor": actor, "kind": kind,
        "element_id": element_id, "payload": ready, "prev_hash": prev_hash, "hash": digest})
    return seq


def settle_head(session: Session, case: Case) -> None:
    """Put the case's newest event number and hash on the case now, for a caller that writes
    the case row itself (else before_commit does it)."""
    head = session.info.get(_HEADS, {}).get(case.id)
    if head is not None and case.last_event_seq != head[1]:
        case.last_event_seq, case.head_hash = head[1], head[2]


def write_pending(session: Session) -> None:
    """Write the queued events now: before a savepoint, so rolling it back cannot lose them."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if pending:
        _INSERT.execute(session.connection(), pending)


@event.listens_for(Session, "before_flush")
def _write_pending(session: Session, _context: Any, _instances: Any) -> None:
    write_pending(session)
    if not session.in_nested_transaction():
        _advance_updated_heads(session)


def _advance_updated_heads(session: Session) -> None:
    """A case this flush updates anyway carries its new head in that same UPDATE (else
    before_commit would send a second one just for the head)."""
    for case, seq, digest in session.info.get(_HEADS, {}).values():
        if inspect(case).modified and case.last_event_seq != seq:
            case.last_event_seq, case.head_hash = seq, digest


@event.listens_for(Session, "before_commit")
def _advance_heads(session: Session) -> None:
    if session.in_nested_transaction():  # a handler's savepoint: the outer commit does it
        return
    write_pending(session)
    for case, seq, digest in session.info.get(_HEADS, {}).values():
        if case.last_event_seq != seq:
            case.last_event_seq = seq
            case.head_hash = digest


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        _forget(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        _forget(session)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_HEADS, None)
