"""The CLI's --user names an active user holding the role the step needs, as on the web;
otherwise one line of error, exit status 1, and nothing written (no case, history event,
message or resolved incident)."""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from models import AuditEvent, Case, HumanTask, InboundMessage, Incident
from services import users
from services.unit_of_work import UnitOfWork
from tests.support import flows
from tests.support.applicants import applicant
from tests.support.auth import ensure_demo_user

PAYMENT = {"method": "online", "amount": "450.00", "paid_on": "2026-11-25", "reference": "P-1"}
NOT_ACTIVE = {"ghost": "there is no active user 'ghost'",
              "gone": "there is no active user 'gone'"}


@pytest.fixture
def cli_app(app: Flask, uow) -> Flask:  # type: ignore[no-untyped-def]
    """The real processes plus the test fixtures (service_flow: a clerk lane, and a step
    that fails into an incident), the demo users used here, and `gone`, switched off."""
    flows.deploy(uow, flows.FIXTURES)
    for username in ("clerk1", "uw1", "ch1", "fin1", "admin"):
        ensure_demo_user(app, username)
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        users.add_user(work.session, "gone", "Gone Clerk", "gone-password-long", ["clerk", "admin"])
        users.set_active(work.session, "gone", False)
        work.commit()
    return app


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _refused(result: Result, message: str) -> None:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert (result.exit_code, lines) == (1, [f"error: {message}"])


def _counts(uow) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with uow() as work:
        return tuple(work.session.scalar(select(func.count()).select_from(model)) or 0
                     for model in (Case, AuditEvent, InboundMessage))  # type: ignore[return-value]


REFUSED_STARTS = {**NOT_ACTIVE, "uw1": "starting a Service flow case is for the clerk role"}


@pytest.mark.parametrize("username", sorted(REFUSED_STARTS))
def test_cases_start_refuses(cli_app: Flask, uow, username: str) -> None:  # type: ignore[no-untyped-def]
    before = _counts(uow)
    started = _run(cli_app, "cases", "start", "service_flow", "--user", username,
                   "--data", '{"amount": "12.50", "on": "2026-01-01"}')
    _refused(started, REFUSED_STARTS[username])
    assert _counts(uow) == before


def _open_task(uow) -> str:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    return flows.open_task(uow, case_id, "confirm")


@pytest.mark.parametrize("username", ["ghost", "gone", "uw1", "ch1"])
def test_tasks_complete_refuses(cli_app: Flask, uow, username: str) -> None:  # type: ignore[no-untyped-def]
    task_id = _open_task(uow)
    before = _counts(uow)
    done = _run(cli_app, "tasks", "complete", task_id, "--data", '{"ok": true}',
                "--user", username)
    # the underwriter and the claims handler work no lane of service_flow: as on the web,
    # its task is out of their reach
    _refused(done, NOT_ACTIVE.get(username, f"there is no task {task_id}"))
    assert _counts(uow) == before
    with uow() as work:
        task = work.session.get(HumanTask, task_id)
        assert task is not None and (task.status, task.completed_by) == ("open", None)


def test_tasks_complete_as_an_active_clerk(cli_app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    task_id = _open_task(uow)
    done = _run(cli_app, "tasks", "complete", task_id, "--data", '{"ok": true}',
                "--user", "Clerk1", "--json")
    assert done.exit_code == 0, done.output
    with uow() as work:
        task = work.session.get(HumanTask, task_id)
        assert task is not None and task.completed_by == "clerk1"


REFUSED_RESOLVERS = {**NOT_ACTIVE, "clerk1": "clerk1 does not have the administrator role"}


@pytest.mark.parametrize("username", sorted(REFUSED_RESOLVERS))
@pytest.mark.parametrize("action", ["retry", "skip"])
def test_incidents_need_an_active_admin(cli_app: Flask, uow, username: str,  # type: ignore[no-untyped-def]
                                        action: str) -> None:
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    [incident] = flows.complete(uow, case_id, "confirm", {"ok": False}).incidents
    before = _counts(uow)
    reason = ["--reason", "done by hand"] if action == "skip" else []
    resolved = _run(cli_app, "incidents", action, str(incident.id), *reason, "--user", username)
    _refused(resolved, REFUSED_RESOLVERS[username])
    assert _counts(uow) == before
    with uow() as work:
        stored = work.session.get(Incident, incident.id)
        assert stored is not None and (stored.status, stored.resolved_by) == ("open", None)


@pytest.mark.parametrize("username", sorted(NOT_ACTIVE))
def test_messages_send_needs_an_active_user(cli_app: Flask, uow, username: str) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    key = flows.show(uow, case_id).case.business_key
    assert key is not None
    before = _counts(uow)
    sent = _run(cli_app, "messages", "send", "premium_payment_received", "--key", key,
                "--payload", json.dumps(PAYMENT), "--user", username)
    _refused(sent, NOT_ACTIVE[username])
    assert _counts(uow) == before
