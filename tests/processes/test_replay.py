"""Replay on the real processes: old versions, assignments, a tampered history, `--to`, the
CLI. (Every other process test also replays its cases: see conftest.py.)"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select, text

from app import create_app
from engine.clock import set_clock
from models import AuditEvent, User
from services import assignment
from services.replay import ReplayReport, replay_case
from services.roles import Actor
from tests.processes.conftest import TODAY
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant
from tests.support.jobs import run_due_jobs

UW = Actor("uw1", frozenset({"underwriter"}))
SUP = Actor("sup1", frozenset({"supervisor", "underwriter"}))


def _replay(uow, case_id: int, to_seq: int | None = None) -> ReplayReport:  # type: ignore[no-untyped-def]
    with uow() as work:
        return replay_case(work.session, case_id, to_seq)


def _accepted(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    flows.complete(uow, case_id, "record_delivery_confirmation", RECEIPT)
    return case_id


@pytest.mark.tampers_history
def test_claims_releases_and_reassignments_are_replayed(insurer) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(insurer, "new_business", applicant(
        health_conditions="major", health_details="Type 1 diabetes"))
    flows.complete(insurer, case_id, "record_first_premium", PREMIUM)
    task_id = flows.open_task(insurer, case_id, "underwriting_review")
    with insurer() as work:
        work.session.add(User(username="uw2", display_name="uw2", password_hash="x",
                              roles=["underwriter"]))
        work.commit()
    for action, args in ((assignment.claim, (UW,)), (assignment.release, (UW,)),
                         (assignment.reassign, ("uw2", SUP))):
        with insurer() as work:
            action(work.session, task_id, *args)
            work.commit()
    assert _replay(insurer, case_id).matches
    with insurer() as work:  # a claim that bypassed the services: replay sees the difference
        work.session.execute(text("UPDATE human_task SET assignee = 'uw9' WHERE id = :id"),
                             {"id": task_id})
        work.commit()
    report = _replay(insurer, case_id)
    assert report.differences == ["open human tasks: stored underwriting_review (uw9), "
                                  "replayed underwriting_review (uw2)"]


def _changed_process_root(tmp_path: Path) -> Path:
    root = tmp_path / "changed"
    for folder in ("processes", "forms"):
        shutil.copytree(flows.PROJECT / folder, root / folder)
    bpmn = root / "processes" / "new_business" / "new_business.bpmn"
    source = bpmn.read_text()
    assert 'name="Deliver policy"' in source
    bpmn.write_text(source.replace('name="Deliver policy"', 'name="Send the policy"'))
    return root


def test_old_case_replays_on_its_own_version_after_a_change(insurer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old_case = flows.start(insurer, "new_business", applicant())
    flows.complete(insurer, old_case, "record_first_premium", PREMIUM)
    deployed = {(d.process_id, d.version, d.created)
                for d in flows.deploy(insurer, _changed_process_root(tmp_path))}
    assert ("new_business", 2, True) in deployed
    flows.complete(insurer, old_case, "deliver_policy", DELIVERY)
    new_case = flows.start(insurer, "new_business", applicant(id_number="B223456789"))
    flows.complete(insurer, new_case, "record_first_premium", PREMIUM)
    titles = {e.case_id: e.payload["title"] for e in _events(insurer, "task_ready")
              if e.element_id == "deliver_policy"}
    assert titles == {old_case: "Deliver policy", new_case: "Send the policy"}
    old, new = _replay(insurer, old_case), _replay(insurer, new_case)
    assert (old.matches, old.version) == (True, "new_business v1")
    assert (new.matches, new.version) == (True, "new_business v2")


def _events(uow, kind: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with uow() as work:
        return list(work.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)
                                         .order_by(AuditEvent.case_id, AuditEvent.seq)))


def _tamper(uow, event: AuditEvent, payload: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Edit a history row behind the application's back (triggers off, as an intruder with
    the database's own rights would)."""
    with uow() as work:
        postgres = work.session.get_bind().dialect.name == "postgresql"
        if postgres:
            work.session.execute(text("SET LOCAL session_replication_role = replica"))
        cast = "CAST(:payload AS jsonb)" if postgres else ":payload"
        work.session.execute(text(f"UPDATE audit_event SET payload = {cast} WHERE id = :id"),
                             {"payload": json.dumps(payload), "id": event.id})
        work.commit()


@pytest.mark.tampers_history
def test_changed_handler_result_is_a_divergence_naming_the_event(insurer) -> None:  # type: ignore[no-untyped-def]
    case_id = _accepted(insurer)
    assert _replay(insurer, case_id).matches
    [call] = [e for e in _events(insurer, "service_called") if e.case_id == case_id
              and e.element_id == "verify_customer"]
    _tamper(insurer, call, {**call.payload, "result": {**call.payload["result"], "age": 17}})
    report = _replay(insurer, case_id)
    assert not report.matches
    first = report.differences[0]
    assert first.startswith(f"event {call.seq} (service_called "
                            "new_business.verify_customer): case data field 'verification'")
    assert '"age": 38' in first and '"age": 17' in first
    # the table then saw the changed age: the decision the history records no longer follows
    assert any("decision_evaluated assess_risk" in d for d in report.differences[1:])


@pytest.mark.tampers_history
def test_changed_form_submission_is_a_divergence(insurer) -> None:  # type: ignore[no-untyped-def]
    case_id = _accepted(insurer)
    [completed] = [e for e in _events(insurer, "task_completed") if e.case_id == case_id
                   and e.element_id == "deliver_policy"]
    data = {**completed.payload["data"], "method": "courier"}
    _tamper(insurer, completed, {**completed.payload, "data": data})
    report = _replay(insurer, case_id)
    assert not report.matches
    assert any("courier" in d for d in report.differences), report.differences


def test_state_after_event_n(insurer) -> None:  # type: ignore[no-untyped-def]
    case_id = _accepted(insurer)
    first_ready = next(e for e in _events(insurer, "task_ready") if e.case_id == case_id)
    report = _replay(insurer, case_id, first_ready.seq)
    assert report.matches and report.steps[-1].seq == first_ready.seq
    assert [s.seq for s in report.steps] == list(range(1, first_ready.seq + 1))
    state = report.steps[-1]
    assert state.current == ["record_first_premium", "premium_payment_received"]
    assert state.completed == ["application_received", "register_application",
                               "application_submitted", "verify_customer",
                               "application_complete"]
    assert state.data["full_name"] == "Mei Lin" and "issuance" not in state.data


@pytest.fixture
def app(database_url: str, insurer) -> Flask:  # type: ignore[no-untyped-def]
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["audit", "replay", *args])


@pytest.mark.tampers_history
def test_cli_replay_matches_shows_a_step_and_reports_differences(app, insurer) -> None:  # type: ignore[no-untyped-def]
    case_id = _accepted(insurer)
    key = flows.show(insurer, case_id).case.business_key
    events = len(flows.show(insurer, case_id).events)
    done = _run(app, str(case_id))
    assert done.exit_code == 0, done.output
    assert done.output == f"case {case_id} ({key}): replay matches the stored state " \
                          f"({events} events, new_business v1)\n"
    shown = _run(app, str(case_id), "--to", "3")
    assert shown.exit_code == 0, shown.output
    assert f"case {case_id} ({key}) after event 3" in shown.output
    assert "completed: " in shown.output and "current: " in shown.output
    assert '"full_name": "Mei Lin"' in shown.output

    call = [e for e in _events(insurer, "service_called") if e.case_id == case_id][-1]
    _tamper(insurer, call, {**call.payload, "result": {"changed": True}})
    differs = _run(app, str(case_id))
    assert differs.exit_code == 1
    assert f"event {call.seq} (service_called" in differs.output


@pytest.mark.tampers_history
def test_cli_replay_all_and_bad_input(app, insurer) -> None:  # type: ignore[no-untyped-def]
    first, second = _accepted(insurer), _accepted(insurer)
    everything = _run(app, "--all", "--batch", "1")
    assert everything.exit_code == 0, everything.output
    assert "2 cases: 2 matched, 0 diverged, 0 failed to replay (" in everything.output
    call = [e for e in _events(insurer, "service_called") if e.case_id == second][-1]
    _tamper(insurer, call, {**call.payload, "result": {"changed": True}})
    everything = _run(app, "--all")
    assert everything.exit_code == 1
    assert "2 cases: 1 matched, 1 diverged, 0 failed to replay" in everything.output
    assert f"case {second} (" in everything.output and f"case {first} (" not in \
        everything.output
    missing = _run(app, "4242")
    assert missing.exit_code == 1 and "there is no case 4242" in missing.output
    assert "Traceback" not in missing.output
    neither = _run(app)
    assert neither.exit_code == 2 and "give a CASE_ID or --all" in neither.output
    assert _run(app, "--help").exit_code == 0


def test_a_step_runs_at_one_instant_so_timers_replay_exactly(insurer, session_factory) -> None:  # type: ignore[no-untyped-def]
    """With a clock that moves on every read, a timer's due time still replays to the
    microsecond: every event of a step (and the timer it arms) carries one pinned instant."""
    ticks = {"now": TODAY}

    def ticking() -> datetime:
        ticks["now"] += timedelta(milliseconds=1)
        return ticks["now"]

    set_clock(ticking)
    case_id = flows.start(insurer, "new_business", applicant(
        health_conditions="major", health_details="Type 1 diabetes"))
    flows.complete(insurer, case_id, "record_first_premium", PREMIUM)
    ticks["now"] += timedelta(hours=25)
    run_due_jobs(session_factory)
    events = flows.show(insurer, case_id).events
    [fired] = [e for e in events if e.kind == "timer_fired"]
    assert fired.payload["fired_at"] == fired.at.isoformat()
    completed = next(e for e in events if e.kind == "task_completed")
    assert {e.at for e in events if e.seq > completed.seq and e.seq < fired.seq} == \
        {completed.at}
    assert _replay(insurer, case_id).matches
