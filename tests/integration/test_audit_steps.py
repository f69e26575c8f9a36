"""Stepping through a case on the auditor pages: each event's state rebuilt by replay, the
data difference from the event before, the diagram markers at that step, and the replay
verdict on the audit page (a forged history is reported, not hidden)."""

from __future__ import annotations

import html as html_lib
import json
import re

from flask import Flask
from sqlalchemy import select

from models import AuditAccess, AuditEvent
from services import audit
from services.cases import get_case
from tests.support.audit_cases import referred_case, reviewed_case
from tests.support.auth import signed_in_client


def _text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _seq(uow, case_id: int, kind: str, element_id: str) -> int:  # type: ignore[no-untyped-def]
    with uow() as work:
        seq = work.session.scalar(select(AuditEvent.seq).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == kind,
            AuditEvent.element_id == element_id))
        assert seq is not None
        return seq


def _last_seq(uow, case_id: int) -> int:  # type: ignore[no-untyped-def]
    with uow() as work:
        return get_case(work.session, case_id).last_event_seq


def _markers(page: str) -> tuple[list[str], list[str]]:
    done = re.search(r"data-completed='([^']*)'", page)
    current = re.search(r"data-current='([^']*)'", page)
    assert done and current
    return json.loads(html_lib.unescape(done.group(1))), \
        json.loads(html_lib.unescape(current.group(1)))


def _changes(page: str) -> str:
    return _text(page.split('id="data-changes"')[1].split("</ul>")[0])


def test_a_step_shows_the_event_the_data_change_and_the_diagram(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    paid = _seq(uow, case_id, "task_completed", "record_first_premium")
    client = signed_in_client(app, "aud1")
    before = client.get(f"/audit/cases/{case_id}/steps/{paid - 1}").get_data(as_text=True)
    page = client.get(f"/audit/cases/{case_id}/steps/{paid}").get_data(as_text=True)
    assert re.search(rf"<title>Audit: APP-\d+, event {paid} of \d+ · Insurflow</title>", page)
    text = _text(page)
    assert "Clerk clerk1 completed “Record first premium”" in text
    assert "Submitted form amount 450.00 method bank_transfer" in text
    # the submitted form, merged into the data before the engine runs on from it
    changes = _changes(page)
    assert "added amount : 450.00" in changes
    assert "changed reference : \"\" → TRX-1" in changes
    assert "first_premium" not in changes and "risk_class" not in changes
    # the diagram: the premium task was waiting before, is the one just done now
    done_before, current_before = _markers(before)
    _, current_after = _markers(page)
    assert "record_first_premium" in current_before and "underwriting_review" not in \
        current_before + done_before
    assert current_after == ["record_first_premium"]
    assert f'data-diagram-url="/cases/{case_id}/diagram.bpmn"' in page
    # where the engine ran on to: review is current once it is ready, the rest done
    ready = _seq(uow, case_id, "task_ready", "underwriting_review")
    done_then, current_then = _markers(client.get(
        f"/audit/cases/{case_id}/steps/{ready}").get_data(as_text=True))
    assert "record_first_premium" in done_then and "assess_risk" in done_then
    assert "underwriting_review" in current_then


def test_a_service_call_shows_its_result_as_it_landed(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = reviewed_case(uow)
    seq = _seq(uow, case_id, "service_called", "record_underwriting")
    page = signed_in_client(app, "aud1").get(
        f"/audit/cases/{case_id}/steps/{seq}").get_data(as_text=True)
    changes = _changes(page)
    assert "added underwriting : " in changes and "decision accept_with_loading" in changes
    assert changes.count("added ") == 1 and "issuance" not in changes
    done, current = _markers(page)
    assert current == ["record_underwriting"]
    assert "underwriting_review" in done and "issue_policy" not in done + current
    assert "No change in the case data at this event." not in page
    meaning = _text(page.split('id="state-meaning">')[1].split("</p>")[0])
    assert meaning.startswith("The case right after ") and "completed (marked as current)" \
        in meaning


def test_a_decision_event_shows_its_outputs_added(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    seq = _seq(uow, case_id, "decision_evaluated", "assess_risk")
    page = signed_in_client(app, "aud1").get(
        f"/audit/cases/{case_id}/steps/{seq}").get_data(as_text=True)
    changes = _changes(page)
    for output in ("risk_class : refer", "loading_percent : 0", "risk_reason : "):
        assert f"added {output}" in changes, output
    assert "first_premium" not in changes  # that landed at the call before
    done, current = _markers(page)
    assert current == ["assess_risk"] and "book_first_premium" in done


def test_nested_changes_are_named_by_their_path(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = reviewed_case(uow)
    decided = _seq(uow, case_id, "task_completed", "underwriting_review")
    client = signed_in_client(app, "aud1")
    changes = _changes(client.get(f"/audit/cases/{case_id}/steps/{decided}")
                       .get_data(as_text=True))
    assert "changed loading_percent : 0 → 25" in changes
    issued = _seq(uow, case_id, "service_called", "issue_policy")
    changes = _changes(client.get(f"/audit/cases/{case_id}/steps/{issued}")
                       .get_data(as_text=True))
    assert "added issuance : " in changes and "policy_number POL-" in changes
    quiet = client.get(f"/audit/cases/{case_id}/steps/{decided + 1}")
    assert "No change in the case data at this event." in quiet.get_data(as_text=True)


def test_a_decision_step_shows_the_table_and_matched_rule(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    seq = _seq(uow, case_id, "decision_evaluated", "assess_risk")
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{case_id}/steps/{seq}")
    html = page.get_data(as_text=True)
    assert "Matched rule: row 2" in _text(html)
    assert re.findall(r'<tr class="matched">\s*<th scope="row">(\d+)', html) == ["2"]


def test_previous_next_and_the_ends(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    last = _last_seq(uow, case_id)
    client = signed_in_client(app, "aud1")
    first = client.get(f"/audit/cases/{case_id}/steps/1").get_data(as_text=True)
    assert 'rel="prev"' not in first
    assert f'href="/audit/cases/{case_id}/steps/2" rel="next"' in first
    middle = client.get(f"/audit/cases/{case_id}/steps/2").get_data(as_text=True)
    assert f'href="/audit/cases/{case_id}/steps/1" rel="prev"' in middle
    end = client.get(f"/audit/cases/{case_id}/steps/{last}").get_data(as_text=True)
    assert 'rel="next"' not in end and f"Event {last} of {last}" in end
    for seq in (0, last + 1):
        assert client.get(f"/audit/cases/{case_id}/steps/{seq}").status_code == 404
    assert client.get("/audit/cases/9999/steps/1").status_code == 404
    assert signed_in_client(app, "clerk1").get(
        f"/audit/cases/{case_id}/steps/1").status_code == 403
    with uow() as work:
        logged = work.session.scalars(select(AuditAccess.query).where(
            AuditAccess.page == "step")).all()
    assert logged == ["seq=1", "seq=2", f"seq={last}"]


def test_the_audit_page_says_whether_replay_matches(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = reviewed_case(uow)
    client = signed_in_client(app, "aud1")
    page = _text(client.get(f"/audit/cases/{case_id}").get_data(as_text=True))
    assert "Replay matches. Rebuilt from new_business v1 and its" in page
    # a forged event: a policy issued a second time, which the process never did
    with uow() as work:
        case = get_case(work.session, case_id, for_update=True)
        forged = audit.record(work.session, case, "service_called", "system", "issue_policy",
                              {"operator": "policies.issue", "name": "Issue policy",
                               "inputs": {}, "result": {"policy_number": "POL-999999"}})
        work.commit()
    for path in (f"/audit/cases/{case_id}", f"/audit/cases/{case_id}/report"):
        page = _text(client.get(path).get_data(as_text=True))
        assert "Replay does not match." in page, path
        assert f"event {forged}" in page.split("Replay does not match.")[1][:600], path
