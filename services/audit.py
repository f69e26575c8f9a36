"""Appending to a case's history; the only writer of AuditEvent rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import values
from engine.clock import current_time
from models import AuditEvent, Case

SYSTEM = "system"


def record(session: Session, case: Case, kind: str, actor: str,
           element_id: str | None = None, payload: dict[str, Any] | None = None) -> AuditEvent:
    case.last_event_seq += 1
    event = AuditEvent(case_id=case.id, seq=case.last_event_seq, at=current_time(), actor=actor,
                       kind=kind, element_id=element_id,
                       payload=values.to_json_ready(payload or {}))
    session.add(event)
    return event
