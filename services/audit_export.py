"""A case's full history as one JSON document, with the hashes to verify it anywhere.

The document holds what the chain covers exactly as it was hashed (`at` already in the
canonical form, payloads as stored), so a verifier needs nothing but this file and the
recipe in docs/audit.md; tools/verify_audit_export.py is such a verifier.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import AuditEvent, Case, ProcessVersion

from .audit_chain import GENESIS, format_at
from .errors import NotFound

FORMAT = "insurflow-audit-export/1"


def export_case(session: Session, case_id: int) -> dict[str, Any]:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"there is no case {case_id}")
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None  # a foreign key guarantees it
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.seq))
    return {
        "format": FORMAT,
        "hashing": {"algorithm": "sha256", "genesis": GENESIS, "recipe": "docs/audit.md"},
        "exported_at": format_at(current_time()),
        "case": _case_json(case),
        "process_version": {
            "process_id": version.process_id, "name": version.name,
            "version": version.version, "content_hash": version.content_hash,
            "deployed_at": format_at(version.deployed_at), "deployed_by": version.deployed_by},
        "events": [_event_json(event) for event in events],
    }


def _case_json(case: Case) -> dict[str, Any]:
    return {"id": case.id, "business_key": case.business_key, "process_id": case.process_id,
            "customer_name": case.customer_name, "status": case.status,
            "started_by": case.started_by, "created_at": format_at(case.created_at),
            "completed_at": format_at(case.completed_at) if case.completed_at else None,
            "last_event_seq": case.last_event_seq, "head_hash": case.head_hash}


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {"seq": event.seq, "at": format_at(event.at), "actor": event.actor,
            "kind": event.kind, "element_id": event.element_id, "payload": event.payload,
            "prev_hash": event.prev_hash, "hash": event.hash}
