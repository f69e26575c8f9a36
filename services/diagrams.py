"""A case drawn on its process: the exact BPMN it runs on, the steps done and the steps open.

Read-only; the caller's unit of work provides the session. The history (audit events) is
the source of truth for what finished, so a diagram never needs the engine state loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.diagram import bpmn_file_for, element_names, start_event_ids
from models import AuditEvent, Case, HumanTask, Incident, ProcessVersion, StoredFile

from .case_access import visible_case
from .errors import NotFound
from .roles import Actor

# History kinds that mean "this element finished"; each carries the element id.
FINISHED_KINDS = ("task_completed", "service_called", "decision_evaluated", "gateway_passed",
                  "message_received", "incident_skipped", "end_reached")


@dataclass(frozen=True)
class CaseDiagram:
    """Ids are diagram element ids in first-seen order; an id is never in both lists."""

    bpmn_xml: str
    completed: list[str]
    current: list[str]
    # element id -> name, for the text list shown beside (or instead of) the drawing
    names: dict[str, str] = field(default_factory=dict)


def case_diagram(session: Session, case_id: int, *, viewer: Actor | None) -> CaseDiagram:
    case = visible_case(session, viewer, case_id)
    xml_text = _version_bpmn(session, case)
    names = element_names(xml_text)
    current = _known(_current_ids(session, case.id), names)
    finished = start_event_ids(xml_text, case.process_id) + _finished_ids(session, case.id)
    completed = [i for i in _known(finished, names) if i not in current]
    return CaseDiagram(xml_text, completed, current,
                       {i: names[i] for i in completed + current})


def case_bpmn_xml(session: Session, case_id: int, *, viewer: Actor | None) -> str:
    """The BPMN file of the version the case started on, not of today's deployed version."""
    return _version_bpmn(session, visible_case(session, viewer, case_id))


def _version_bpmn(session: Session, case: Case) -> str:
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None  # FK guarantees it
    files: dict[str, str] = {}
    for path, digest in version.files.items():
        if path.endswith(".bpmn"):
            stored = session.get(StoredFile, digest)
            if stored is None:
                raise NotFound(f"file {path} of {version.process_id} "
                               f"v{version.version} is missing")
            files[path] = stored.content
    chosen = bpmn_file_for(files, case.process_id, preferred=version.bpmn_path)
    if chosen is None:
        raise NotFound(f"no BPMN file of {version.process_id} v{version.version} "
                       f"defines the process '{case.process_id}'")
    return files[chosen]


def _finished_ids(session: Session, case_id: int) -> list[str]:
    return [i for i in session.scalars(
        select(AuditEvent.element_id).where(AuditEvent.case_id == case_id,
                                            AuditEvent.kind.in_(FINISHED_KINDS))
        .order_by(AuditEvent.seq)) if i]


def _current_ids(session: Session, case_id: int) -> list[str]:
    tasks = session.scalars(select(HumanTask.element_id).where(
        HumanTask.case_id == case_id, HumanTask.status == "open")
        .order_by(HumanTask.created_at, HumanTask.id))
    incidents = session.scalars(select(Incident.element_id).where(
        Incident.case_id == case_id, Incident.status == "open").order_by(Incident.id))
    return [*tasks, *incidents]


def _known(ids: list[str], names: dict[str, str]) -> list[str]:
    """Ids drawn in this file, once each: steps of called processes are not on this diagram."""
    return list(dict.fromkeys(i for i in ids if i in names))
