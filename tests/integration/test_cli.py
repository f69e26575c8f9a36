"""The CLI as a user runs it: help, JSON output, clear errors without tracebacks."""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from flask import Flask

from app import create_app
from tests.support import flows
from tests.support.auth import ensure_demo_user


@pytest.fixture
def app(database_url: str) -> Flask:
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def test_every_command_has_help(app: Flask) -> None:
    for command in (["db", "upgrade"], ["processes", "list"], ["processes", "validate"],
                    ["processes", "deploy"], ["cases", "start"], ["cases", "show"],
                    ["tasks", "list"], ["tasks", "complete"], ["demo"]):
        result = _run(app, *command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_deploy_start_list_complete_show(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    deployed = json.loads(_run(app, "processes", "deploy", "--json").output)
    assert {d["process_id"] for d in deployed} == {"new_business", "claims"}
    listed = json.loads(_run(app, "processes", "list", "--json").output)
    assert {v["process_id"]: v["version"] for v in listed} == {"new_business": 1, "claims": 1}
    flows.deploy(uow, flows.FIXTURES)
    ensure_demo_user(app, "clerk1")
    started = _run(app, "cases", "start", "service_flow", "--json", "--user", "clerk1",
                   "--data", '{"amount": "12.50", "on": "2026-01-01"}')
    case = json.loads(started.output)
    tasks = json.loads(_run(app, "tasks", "list", "--role", "clerk", "--json").output)
    [task] = [t for t in tasks if t["case_id"] == case["id"]]
    done = _run(app, "tasks", "complete", task["id"], "--data", '{"ok": true}', "--user", "clerk1")
    assert done.exit_code == 0, done.output
    shown = json.loads(_run(app, "cases", "show", str(case["id"]), "--json").output)
    assert shown["status"] == "completed" and shown["data"]["amount"] == "12.50"


def test_bad_input_gives_message_not_traceback(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    ensure_demo_user(app, "clerk1")
    bad_json = _run(app, "cases", "start", "service_flow", "--data", "{oops", "--user", "clerk1")
    assert bad_json.exit_code == 2 and "not valid JSON" in bad_json.output
    bad_field = _run(app, "cases", "start", "service_flow", "--data", '{"amount": "x"}',
                     "--user", "clerk1")
    assert bad_field.exit_code == 1
    assert "amount: Enter an amount such as 1250.00." in bad_field.output
    assert "Traceback" not in bad_field.output
    missing = _run(app, "cases", "show", "4242")
    assert missing.exit_code == 1 and "there is no case 4242" in missing.output
