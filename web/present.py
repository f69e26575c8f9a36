"""Model objects to JSON-ready dicts for the API and the CLI's --json output."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import values
from models import AuditEvent, Case, HumanTask, Incident, ProcessVersion
from services.cases import CaseView
from services.messages import MessageOutcome


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def task_json(task: HumanTask) -> dict[str, Any]:
    return {"id": task.id, "case_id": task.case_id, "element_id": task.element_id,
            "title": task.title, "form_key": task.form_key, "role": task.role,
            "status": task.status, "assignee": task.assignee, "priority": task.priority,
            "due_at": _iso(task.due_at), "created_at": _iso(task.created_at),
            "completed_by": task.completed_by, "completed_at": _iso(task.completed_at)}


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {"seq": event.seq, "at": _iso(event.at), "actor": event.actor, "kind": event.kind,
            "element_id": event.element_id,
            "payload": values.to_display(values.from_json_ready(event.payload))}


def incident_json(incident: Incident) -> dict[str, Any]:
    return {"id": incident.id, "element_id": incident.element_id, "status": incident.status,
            "error_type": incident.error_type, "message": incident.message,
            "created_at": _iso(incident.created_at), "case_id": incident.case_id,
            "task_id": incident.task_id, "resolved_at": _iso(incident.resolved_at),
            "resolved_by": incident.resolved_by, "resolution_note": incident.resolution_note}


def message_json(outcome: MessageOutcome) -> dict[str, Any]:
    message = outcome.message
    return {"id": message.id, "name": message.name, "key": message.key,
            "outcome": message.outcome, "detail": message.detail, "case_id": message.case_id,
            "duplicate": outcome.duplicate, "received_at": _iso(message.received_at),
            "payload": values.to_display(values.from_json_ready(message.payload))}


def case_json(case: Case) -> dict[str, Any]:
    return {"id": case.id, "process_id": case.process_id, "business_key": case.business_key,
            "status": case.status, "version": case.version_id, "started_by": case.started_by,
            "created_at": _iso(case.created_at), "updated_at": _iso(case.updated_at),
            "completed_at": _iso(case.completed_at)}


def case_view_json(view: CaseView) -> dict[str, Any]:
    return {**case_json(view.case),
            "process_version": {"version": view.version.version,
                                "content_hash": view.version.content_hash},
            "data": values.to_display(view.data),
            "open_tasks": [task_json(t) for t in view.open_tasks],
            "incidents": [incident_json(i) for i in view.incidents],
            "events": [event_json(e) for e in view.events]}


def version_json(version: ProcessVersion) -> dict[str, Any]:
    return {"process_id": version.process_id, "name": version.name,
            "version": version.version, "content_hash": version.content_hash,
            "files": sorted(version.files), "deployed_at": _iso(version.deployed_at),
            "deployed_by": version.deployed_by}
