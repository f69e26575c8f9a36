"""`insurflow worker --once`, `insurflow jobs status` and /admin/jobs show the queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from tests.support import flows
from tests.support.auth import signed_in_client
from tests.support.jobs import MovableClock

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "background"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    flows.deploy(uow, ROOT)
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _status(app: Flask) -> dict:  # type: ignore[type-arg]
    result = app.test_cli_runner().invoke(args=["jobs", "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_cli_status_and_worker_once(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    clock = MovableClock(START)
    due = (START + timedelta(minutes=5)).isoformat()
    case_id = flows.start(uow, "timer_wait", {"due_time": due})
    assert flows.show(uow, case_id).case.next_due_at == START + timedelta(minutes=5)
    status = _status(app)
    assert status["counts"]["queued"] == 1
    assert [(j["kind"], j["case_id"]) for j in status["due_soon"]] == [("timer", case_id)]
    runner = app.test_cli_runner()
    for command in (["worker", "--help"], ["jobs", "status", "--help"]):
        assert "Usage:" in runner.invoke(args=command).output

    assert runner.invoke(args=["worker", "--once", "--worker-id", "w1"]).exit_code == 0
    assert flows.show(uow, case_id).case.status == "active"  # not due yet
    clock.advance(minutes=5, seconds=1)
    assert runner.invoke(args=["worker", "--once", "--worker-id", "w1"]).exit_code == 0
    view = flows.show(uow, case_id)
    assert view.case.status == "completed"
    fired = [e for e in view.events if e.kind == "timer_fired"]
    assert fired[0].element_id == "wait" and fired[0].payload["due_at"] == due
    status = _status(app)
    assert status["counts"]["done"] == 1
    [worker] = status["workers"]
    assert (worker["worker_id"], worker["state"], worker["jobs_done"]) == ("w1", "stopped", 1)
    text = runner.invoke(args=["jobs", "status"]).output
    assert "workers:" in text and "w1" in text


def test_admin_page_for_supervisors_only(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    MovableClock(START)
    flows.start(uow, "timer_wait", {"due_time": (START + timedelta(minutes=1)).isoformat()})
    page = signed_in_client(app, "sup1").get("/admin/jobs")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Background jobs" in body and "timer" in body and "insurflow worker" in body
    assert signed_in_client(app, "clerk1").get("/admin/jobs").status_code == 403
