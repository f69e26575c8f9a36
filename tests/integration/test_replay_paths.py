"""Replay of the paths the worker and administrators drive: retries, background tasks and
incidents retried or skipped. Replay answers handlers from the history: none runs again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from handlers import REGISTRY
from services import incidents, job_runs
from services.replay import ReplayReport, replay_case
from tests.support import flows
from tests.support.handlers import FLAKY_CALLS, OUTAGE
from tests.support.jobs import MovableClock, background_clock, run_due_jobs


def _replayed(uow, case_id: int) -> ReplayReport:  # type: ignore[no-untyped-def]
    with uow() as work:
        report = replay_case(work.session, case_id)
    assert report.matches, report.differences
    return report


def _kinds(uow, case_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return flows.kinds(flows.show(uow, case_id))


@pytest.fixture
def clock(uow) -> MovableClock:  # type: ignore[no-untyped-def]
    return background_clock(uow)


def test_retry_that_fails_twice_then_succeeds_replays(uow, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "flaky_flow", {})
    for seconds in (10, 20, 60):
        clock.advance(seconds=seconds)
        run_due_jobs(session_factory)
    assert list(FLAKY_CALLS.values()) == [3]
    kinds = _kinds(uow, case_id)
    assert kinds.count("retry_attempted") == 3 and kinds.count("retry_scheduled") == 3
    report = _replayed(uow, case_id)
    assert list(FLAKY_CALLS.values()) == [3]  # the replay called no handler
    assert report.steps[-1].current == ["call_down"]
    assert "call_flaky" in report.steps[-1].completed


def test_exhausted_retries_then_a_queued_retry_replays(uow, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    FLAKY_CALLS["*"] = 0
    case_id = flows.start(uow, "flaky_flow", {})
    for _ in range(3):
        clock.advance(minutes=1)
        run_due_jobs(session_factory)
    [incident] = flows.show(uow, case_id).incidents
    assert _replayed(uow, case_id).steps[-1].current == ["call_down"]
    OUTAGE["down"] = False
    with uow() as work:
        job_runs.retry_incident(work.session, incident.id)
        work.commit()
    assert _replayed(uow, case_id)  # status "retrying" before the worker runs it
    run_due_jobs(session_factory)
    assert flows.show(uow, case_id).case.status == "completed"
    assert "incident_retry_queued" in _kinds(uow, case_id)
    _replayed(uow, case_id)


def test_background_service_task_replays_without_calling_the_system(
        uow, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        bind = session.get_bind()
    with bind.begin() as conn:  # the "outside system" of test.record_effect, empty
        conn.execute(text("DROP TABLE IF EXISTS test_call"))
        conn.execute(text("DROP TABLE IF EXISTS test_effect"))
        conn.execute(text("CREATE TABLE test_call (idempotency_key TEXT, pid INTEGER)"))
        conn.execute(text("CREATE TABLE test_effect (idempotency_key TEXT PRIMARY KEY, "
                          "pid INTEGER)"))
    case_id = flows.start(uow, "background_effect", {"sleep": 0})
    run_due_jobs(session_factory)
    assert "background_task_run" in _kinds(uow, case_id)
    _replayed(uow, case_id)
    with bind.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM test_call")).scalar() == 1


def _stopped_case(uow) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    view = flows.complete(uow, case_id, "confirm", {"ok": False})
    [incident] = view.incidents
    return case_id, incident.id


def test_incident_retried_after_the_fix_replays(uow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    case_id, incident_id = _stopped_case(uow)
    assert _replayed(uow, case_id).steps[-1].current == ["call_fail"]
    with uow() as work:  # the first retry fails again: a new incident
        incidents.retry_incident(work.session, incident_id, "admin")
        work.commit()
    _replayed(uow, case_id)
    monkeypatch.setitem(REGISTRY._handlers, "test.fail", lambda ctx, params: {"accepted": True})
    [again] = [i for i in flows.show(uow, case_id).incidents if i.status == "open"]
    with uow() as work:
        incidents.retry_incident(work.session, again.id, "admin")
        work.commit()
    monkeypatch.setitem(REGISTRY._handlers, "test.fail", lambda ctx, params: {"accepted": False})
    assert flows.show(uow, case_id).case.status == "completed"
    _replayed(uow, case_id)  # the recorded {"accepted": true}, not today's handler answer


def test_incident_skipped_replays(uow) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    case_id, incident_id = _stopped_case(uow)
    with uow() as work:
        incidents.skip_incident(work.session, incident_id, "Confirmed by phone", "admin")
        work.commit()
    report = _replayed(uow, case_id)
    assert report.steps[-1].data["failed"] == {"skipped": True, "reason": "Confirmed by phone"}
