"""Decisions told in plain language, without a database (unsaved audit events)."""

from __future__ import annotations

from datetime import UTC, datetime

from models import AuditEvent
from services.history import describe

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _events(data: dict[str, object]) -> list[AuditEvent]:
    ready = AuditEvent(seq=1, at=AT, actor="system", kind="task_ready", element_id="t",
                       payload={"task_id": "t1", "role": "claims_handler", "title": "T"})
    done = AuditEvent(seq=2, at=AT, actor="ch1", kind="task_completed", element_id="t",
                      payload={"task_id": "t1", "title": "T", "data": data})
    return [ready, done]


def test_recommendation_to_continue_reads_as_a_sentence() -> None:
    lines = describe(_events({"recommendation": "continue", "findings": "Records match"}),
                     "claims")
    assert lines[-1].text == "Claims handler ch1 cleared the claim for assessment: Records match"


def test_other_decisions_keep_verb_then_subject() -> None:
    lines = describe(_events({"decision": "approve", "comment": "ok"}), "claims")
    assert lines[-1].text == "Claims handler ch1 approved the claim: ok"
