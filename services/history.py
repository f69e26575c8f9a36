"""A case's audit events told in plain language, e.g. "Underwriter uw1 referred the
application: health declaration"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import AuditEvent

from .roles import ALL_ROLES

SUBJECTS = {"new_business": "application", "claims": "claim"}
DECISION_VERBS = {
    "accept": "accepted", "accept_with_loading": "accepted the {subject} with a loading",
    "refer_to_senior": "referred", "refer": "referred", "decline": "declined",
    "approve": "approved", "reject": "rejected",
    "continue": "cleared the {subject} for assessment",
}
REASON_FIELDS = ("reason", "rejection_reason", "comment", "rationale", "findings")


@dataclass(frozen=True)
class HistoryLine:
    seq: int
    at: datetime
    actor: str
    kind: str
    text: str
    data: dict[str, Any]


def _role_label(role: str | None) -> str:
    return ALL_ROLES.get(role or "", "").capitalize()


def _who(actor: str, role: str | None) -> str:
    label = _role_label(role)
    return f"{label} {actor}" if label and actor != "system" else actor.capitalize()


def _task_completed(event: AuditEvent, roles: dict[str, str], subject: str) -> str:
    payload = event.payload
    who = _who(event.actor, roles.get(str(payload.get("task_id"))))
    data = payload.get("data") or {}
    verdict = data.get("decision") or data.get("recommendation")
    if isinstance(verdict, str) and verdict in DECISION_VERBS:
        reason = next((str(data[f]) for f in REASON_FIELDS if data.get(f)), "")
        phrase = DECISION_VERBS[verdict]
        phrase = phrase if "{subject}" in phrase else phrase + " the {subject}"
        text = f"{who} {phrase.format(subject=subject)}"
        return f"{text}: {reason}" if reason else text
    return f"{who} completed \u201c{payload.get('title')}\u201d"


def _assignment(event: AuditEvent, _roles: dict[str, str], _subject: str) -> str:
    payload, title = event.payload, f"\u201c{event.payload.get('title')}\u201d"
    if event.kind == "task_claimed":
        return f"{_who(event.actor, payload.get('role'))} claimed {title}"
    if event.kind == "task_released":
        return f"{event.actor} released {title} back to the {_role_label(payload.get('role'))}" \
               " group"
    return f"Supervisor {event.actor} reassigned {title} from " \
           f"{payload.get('from') or 'nobody'} to {payload.get('to')}"


def _service(event: AuditEvent, _roles: dict[str, str], _subject: str) -> str:
    result = event.payload.get("result") or {}
    facts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.items()
                      if isinstance(v, str | int) and not isinstance(v, bool))[:160]
    step = event.payload.get("name")
    name = f"\u201c{step}\u201d" if step else event.payload.get("operator", "a service")
    return f"The system ran {name}" + (f": {facts}" if facts else "")


def _decision(event: AuditEvent, _roles: dict[str, str], _subject: str) -> str:
    outputs = event.payload.get("outputs") or {}
    shown = ", ".join(f"{k.replace('_', ' ')} = {v}" for k, v in outputs.items())
    shown = shown or "nothing: no rule matched"
    table = event.payload.get("decision_name") or event.payload.get("decision_id")
    rules = ", ".join(str(rule.get("row")) for rule in event.payload.get("matched_rules") or [])
    return f"Decision table \u201c{table}\u201d decided {shown}" + (
        f" (rule {rules})" if rules else "")


def _gateway(event: AuditEvent, _roles: dict[str, str], subject: str) -> str:
    flows = event.payload.get("taken") or []
    steps = [str(step) for flow in flows if (step := flow.get("name") or flow.get("element_id"))]
    where = event.payload.get("gateway") or event.element_id
    onward = " and ".join(steps) or "the next step"
    return f"At \u201c{where}\u201d the {subject} went on to {onward}"


def _message(event: AuditEvent, _roles: dict[str, str], subject: str) -> str:
    payload = event.payload
    name = str(payload.get("name") or "a message").replace("_", " ")
    return f"The message \u201c{name}\u201d about {payload.get('key')} arrived from " \
           f"{event.actor} (message id {payload.get('message_id')})"


def _incident_action(event: AuditEvent, _roles: dict[str, str], _subject: str) -> str:
    payload, step = event.payload, event.element_id or "the failed step"
    if event.kind == "incident_retried":
        return f"{event.actor} retried {step} after the incident \u201c{payload.get('error')}\u201d"
    return f"{event.actor} skipped {step} without running it: {payload.get('reason')}"


def _simple(template: str) -> Callable[[AuditEvent, dict[str, str], str], str]:
    def describe(event: AuditEvent, _roles: dict[str, str], subject: str) -> str:
        payload = event.payload
        return template.format(actor=event.actor, subject=subject, element=event.element_id,
                               title=payload.get("title"), role=_role_label(payload.get("role")),
                               message=payload.get("message"), version=payload.get("version"),
                               name=payload.get("name") or event.element_id)
    return describe


def _retry(event: AuditEvent, _roles: dict[str, str], _subject: str) -> str:
    payload = event.payload
    return (f"{event.element_id} failed (attempt {payload.get('attempt')} of "
            f"{payload.get('attempts')}): {payload.get('message')}; it will be tried again "
            f"at {str(payload.get('due_at', ''))[:19].replace('T', ' ')}")


DESCRIBERS: dict[str, Callable[[AuditEvent, dict[str, str], str], str]] = {
    "case_started": _simple("{actor} started the case (process version {version})"),
    "task_ready": _simple("\u201c{title}\u201d is waiting for the {role} group"),
    "task_completed": _task_completed,
    "task_claimed": _assignment,
    "task_released": _assignment,
    "task_reassigned": _assignment,
    "service_called": _service,
    "decision_evaluated": _decision,
    "gateway_passed": _gateway,
    "incident_raised": _simple("The case stopped with an incident at {element}: {message}"),
    "message_received": _message,
    "incident_retried": _incident_action,
    "incident_skipped": _incident_action,
    "end_reached": _simple("The process reached its end: {name}"),
    "timer_fired": _simple("The timer \u201c{name}\u201d went off"),
    "retry_scheduled": _retry,
    "retry_attempted": _simple("A worker tried {element} again"),
    "background_task_run": _simple("A worker ran {element}"),
    "incident_retry_queued": _simple("{element} was handed to a worker to try again"),
    "case_completed": _simple("The case was completed"),
}


def describe(events: Iterable[AuditEvent], process_id: str) -> list[HistoryLine]:
    """Every event as a sentence; the role behind each task comes from its task_ready event."""
    subject = SUBJECTS.get(process_id, "case")
    roles: dict[str, str] = {}
    lines = []
    for event in events:
        if event.kind == "task_ready":
            roles[str(event.payload.get("task_id"))] = str(event.payload.get("role"))
        describer = DESCRIBERS.get(event.kind)
        text = describer(event, roles, subject) if describer else event.kind.replace("_", " ")
        lines.append(HistoryLine(event.seq, event.at, event.actor, event.kind, text,
                                 event.payload))
    return lines
