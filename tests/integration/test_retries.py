"""Failed service tasks are retried with backoff by the worker; out of attempts, an incident."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import job_runs
from tests.support import flows
from tests.support.handlers import FLAKY_CALLS, OUTAGE
from tests.support.jobs import START, MovableClock, background_clock, jobs_of, run_due_jobs


@pytest.fixture
def clock(uow) -> MovableClock:  # type: ignore[no-untyped-def]
    return background_clock(uow)


def test_flaky_handler_fails_twice_then_succeeds(uow, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "flaky_flow", {})
    view = flows.show(uow, case_id)
    assert view.case.status == "retrying" and view.incidents == []
    retry = jobs_of(session_factory, case_id)[-1]
    assert (retry.kind, retry.attempts, retry.element_id) == ("retry", 1, "call_flaky")
    assert retry.due_at == START + timedelta(seconds=10)  # retryBackoff from the BPMN
    assert "gateway timed out" in (retry.last_error or "")

    clock.advance(seconds=9)
    assert run_due_jobs(session_factory) == 0
    clock.advance(seconds=1)
    assert run_due_jobs(session_factory) == 1  # attempt 2 fails again: backoff doubles
    second = jobs_of(session_factory, case_id)[-1]
    assert (second.attempts, second.due_at) == (2, START + timedelta(seconds=30))
    clock.advance(seconds=20)
    run_due_jobs(session_factory)

    assert list(FLAKY_CALLS.values()) == [3]  # one idempotency key for all three calls
    view = flows.show(uow, case_id)
    result = view.data["flaky"]
    assert result["calls"] == 3 and result["key"].startswith(f"case-{case_id}/task-")
    kinds = [e.kind for e in view.events]
    assert kinds.count("retry_scheduled") == 3  # two for call_flaky, one for call_down
    assert view.case.status == "retrying"  # now call_down fails


def test_exhausted_retries_become_an_incident_retried_after_the_fix(
        uow, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    FLAKY_CALLS["*"] = 0
    case_id = flows.start(uow, "flaky_flow", {})
    clock.advance(minutes=1)
    run_due_jobs(session_factory)  # call_flaky: 2nd attempt fails
    clock.advance(minutes=1)
    run_due_jobs(session_factory)  # call_flaky succeeds; call_down fails once (retry=2)
    clock.advance(minutes=1)
    run_due_jobs(session_factory)  # call_down: 2nd and last attempt fails
    view = flows.show(uow, case_id)
    assert view.case.status == "incident"
    [incident] = view.incidents
    assert (incident.element_id, incident.status, incident.attempts) == ("call_down", "open", 2)
    assert incident.error_type == "ConnectionError"
    assert "connection refused" in incident.message
    assert incident.last_attempt_at == clock.now

    OUTAGE["down"] = False  # the gateway is back
    with uow() as work:
        job_runs.retry_incident(work.session, incident.id)
        work.commit()
    assert flows.show(uow, case_id).case.status == "retrying"
    assert run_due_jobs(session_factory) == 1
    view = flows.show(uow, case_id)
    assert view.case.status == "completed"
    assert view.data["outage"]["key"] == f"case-{case_id}/task-{incident.task_id}"
    assert [i.status for i in view.incidents] == ["retried"]


def test_background_service_task_waits_for_a_worker(uow, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with session_factory() as session:
        bind = session.get_bind()
    with bind.begin() as conn:  # the "outside system" of test.record_effect
        conn.execute(text("CREATE TABLE IF NOT EXISTS test_call (idempotency_key TEXT, "
                          "pid INTEGER)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS test_effect (idempotency_key TEXT "
                          "PRIMARY KEY, pid INTEGER)"))
    case_id = flows.start(uow, "background_effect", {"sleep": 0})
    assert flows.show(uow, case_id).case.status == "active"  # the request did not run it
    [job] = jobs_of(session_factory, case_id)
    assert (job.kind, job.element_id, job.status) == ("service", "pay", "queued")
    assert run_due_jobs(session_factory) == 1
    assert flows.show(uow, case_id).case.status == "completed"
    assert jobs_of(session_factory, case_id)[0].status == "done"
