"""CLI errors: a database without the schema says to run `db upgrade`; errors under --json are
JSON; bad input of every command is one message and exit 1 or 2, never a traceback; the exit
status says whether the case stopped at an incident (3)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine

from app import create_app
from handlers import REGISTRY
from tests.support import databases, flows
from tests.support.auth import ensure_demo_user

UPGRADE_FIRST = "the database has no Insurflow tables yet: run `insurflow db upgrade` first"
# One command of every group that reads or writes the database.
DATABASE_COMMANDS = [
    ["processes", "list"], ["processes", "deploy"],
    ["cases", "start", "claims", "--user", "ann"],
    ["cases", "show", "1"], ["tasks", "list"], ["tasks", "complete", "t", "--data", "{}",
                                                "--user", "ann"],
    ["users", "list"], ["users", "set-roles", "ann", "clerk"], ["users", "deactivate", "ann"],
    ["incidents", "list"], ["incidents", "retry", "1", "--user", "ann"],
    ["incidents", "skip", "1", "--reason", "r", "--user", "ann"],
    ["jobs", "status"], ["audit", "verify", "1"], ["audit", "verify", "--all"],
    ["audit", "export", "1"], ["audit", "replay", "1"], ["audit", "replay", "--all"],
    ["worker", "--once"],
]
JSON_COMMANDS = {("processes", "list"), ("cases", "start"), ("cases", "show"), ("tasks", "list"),
                 ("tasks", "complete"), ("users", "list"), ("incidents", "list"),
                 ("incidents", "retry"), ("incidents", "skip"), ("jobs", "status")}


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output


@pytest.fixture
def empty_app(db_engine: Engine, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database of the test's kind where `db upgrade` never ran."""
    engine = databases.second_database(db_engine, tmp_path, "cli_empty", "base")
    yield create_app({"DATABASE_URL": engine.url.render_as_string(hide_password=False),
                      "TESTING": True})
    engine.dispose()


def test_every_command_before_db_upgrade_says_to_run_it(empty_app: Flask) -> None:
    for command in DATABASE_COMMANDS:
        result = _run(empty_app, *command)
        _no_traceback(result)
        assert result.exit_code == 1, (command, result.output)
        assert result.output.strip().splitlines()[-1] == f"error: {UPGRADE_FIRST}", command
        if tuple(command[:2]) in JSON_COMMANDS:
            as_json = _run(empty_app, *command, "--json")
            assert as_json.exit_code == 1
            assert json.loads(as_json.stdout) == {"error": UPGRADE_FIRST}, command
    added = empty_app.test_cli_runner().invoke(args=[
        "users", "add", "ann", "--display-name", "Ann", "--roles", "clerk", "--password-stdin"],
        input="a long enough password\n")
    assert added.exit_code == 1 and added.stderr == f"error: {UPGRADE_FIRST}\n"
    assert _run(empty_app, "db", "upgrade").exit_code == 0
    assert _run(empty_app, "processes", "list").exit_code == 0


def test_an_older_schema_says_to_upgrade(db_engine: Engine, tmp_path: Path) -> None:
    """0006 added the cases' hash chain head: before it, reading a case fails."""
    engine = databases.second_database(db_engine, tmp_path, "cli_old", "0005")
    old = create_app({"DATABASE_URL": engine.url.render_as_string(hide_password=False),
                      "TESTING": True})
    try:
        result = _run(old, "cases", "show", "1")
        _no_traceback(result)
        assert result.exit_code == 1
        assert re.fullmatch(r"error: the database schema is at revision 0005, this Insurflow "
                            r"needs \d+: run `insurflow db upgrade` first\n", result.stderr)
    finally:
        engine.dispose()


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    for username in ("clerk1", "admin"):  # --user must name an active user with the role
        ensure_demo_user(app, username)
    return app


def test_errors_under_json_are_json_on_stdout(app: Flask) -> None:
    missing = _run(app, "cases", "show", "4242", "--json")
    assert missing.exit_code == 1 and json.loads(missing.stdout) == {
        "error": "there is no case 4242"}
    fields = _run(app, "cases", "start", "service_flow", "--user", "clerk1", "--data",
                  '{"amount": "x"}', "--json")
    assert fields.exit_code == 1
    assert json.loads(fields.stdout)["fields"]["amount"] == ["Enter an amount such as 1250.00."]
    bad_json = _run(app, "tasks", "complete", "t1", "--user", "clerk1", "--json", "--data", "{x")
    assert bad_json.exit_code == 2
    assert json.loads(bad_json.stdout)["error"].startswith("--data is not valid JSON")
    unknown_option = _run(app, "tasks", "list", "--bogus", "--json")
    assert unknown_option.exit_code == 2
    assert "No such option" in json.loads(unknown_option.stdout)["error"]
    text = _run(app, "cases", "show", "4242")
    assert text.stdout == "" and text.stderr == "error: there is no case 4242\n"


BAD_INPUT = [
    (["cases", "show", "99999999999999999999"], 2, "is not in the range"),
    (["cases", "show", "abc"], 2, "is not a valid integer"),
    (["cases", "start", "nope", "--user", "clerk1"], 1, "no process 'nope' is deployed"),
    (["cases", "start", "service_flow", "--user", "clerk1", "--data", "[1]"], 1,
     "must be a JSON object"),
    (["cases", "start", "service_flow", "--user", "clerk1", "--data", "{x"], 2,
     "--data is not valid JSON"),
    (["tasks", "complete", "nope", "--data", "{}", "--user", "clerk1"], 1, "there is no task nope"),
    (["tasks", "complete", "nope", "--data", "", "--user", "clerk1"], 2, "not valid JSON"),
    (["users", "set-roles", "ghost", "clerk"], 1, "there is no user called ghost"),
    (["users", "deactivate", "ghost"], 1, "there is no user called ghost"),
    (["messages", "send", "nope", "--key", "K", "--user", "clerk1"], 1,
     "there is no such message"),
    (["messages", "send", "premium_payment_received", "--key", "K", "--payload", "{",
      "--user", "clerk1"], 2,
     "--payload is not valid JSON"),
    (["incidents", "retry", "4242", "--user", "admin"], 1, "there is no incident 4242"),
    (["incidents", "retry", "2147483648", "--user", "admin"], 2, "is not in the range"),
    (["incidents", "skip", "4242", "--reason", "x", "--user", "admin"], 1,
     "there is no incident 4242"),
    (["audit", "verify", "4242"], 1, "there is no case 4242"),
    (["audit", "export", "4242"], 1, "there is no case 4242"),
    (["audit", "replay", "4242"], 1, "there is no case 4242"),
    (["audit", "replay", "0"], 2, "is not in the range"),
    (["worker", "--once", "--batch", "0"], 2, "is not in the range"),
    (["worker", "--once", "--lease", "-1"], 2, "is not in the range"),
]


def test_bad_input_of_every_command_is_one_message(app: Flask) -> None:
    for command, exit_code, message in BAD_INPUT:
        result = _run(app, *command)
        _no_traceback(result)
        assert (result.exit_code, message in result.output) == (exit_code, True), (
            command, result.output)


def _stopping_task(app: Flask) -> tuple[int, str]:
    started = json.loads(_run(app, "cases", "start", "service_flow", "--user", "clerk1", "--json",
                              "--data",
                              '{"amount": "10", "on": "2026-03-01"}').stdout)
    tasks = json.loads(_run(app, "tasks", "list", "--role", "clerk", "--json").stdout)
    [task] = [t for t in tasks if t["case_id"] == started["id"]]
    return started["id"], task["id"]


def test_exit_3_when_the_case_stopped_at_an_incident(app: Flask,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    case_id, task_id = _stopping_task(app)
    stopped = _run(app, "tasks", "complete", task_id, "--data", '{"ok": false}',
                   "--user", "clerk1")
    assert stopped.exit_code == 3, stopped.output
    assert f"case {case_id} stopped at an incident: incident " in stopped.stderr
    assert "at call_fail: the test system refused" in stopped.stderr
    [incident] = json.loads(_run(app, "incidents", "list", "--json").stdout)
    again = _run(app, "incidents", "retry", str(incident["id"]), "--user", "admin", "--json")
    assert again.exit_code == 3 and json.loads(again.stdout)["new_incident"] is not None
    monkeypatch.setitem(REGISTRY._handlers, "test.fail", lambda ctx, params: {"ok": True})
    [incident] = json.loads(_run(app, "incidents", "list", "--json").stdout)
    fixed = _run(app, "incidents", "retry", str(incident["id"]), "--user", "admin")
    assert fixed.exit_code == 0 and f"case {case_id} is completed" in fixed.output


def test_exit_3_under_json_lists_the_open_incidents(app: Flask) -> None:
    _, task_id = _stopping_task(app)
    stopped = _run(app, "tasks", "complete", task_id, "--data", '{"ok": false}',
                   "--user", "clerk1",
                   "--json")
    assert stopped.exit_code == 3
    shown = json.loads(stopped.stdout)
    assert shown["status"] == "completed"  # the task; the case stopped after it
    assert [i["element_id"] for i in shown["open_incidents"]] == ["call_fail"]
    _, other = _stopping_task(app)
    moved_on = _run(app, "tasks", "complete", other, "--data", '{"ok": true}',
                    "--user", "clerk1",
                    "--json")
    assert moved_on.exit_code == 0 and json.loads(moved_on.stdout)["open_incidents"] == []
