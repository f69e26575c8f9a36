"""`insurflow users`: add, list, set-roles, deactivate; passwords never as arguments."""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from flask import Flask

from app import create_app


@pytest.fixture
def app(database_url: str) -> Flask:
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def _add_nora(app: Flask) -> Result:
    return _run(app, "users", "add", "nora", "--display-name", "Nora Newhire",
                "--roles", "clerk,underwriter", "--password-stdin", stdin="correct horse\n")


def test_every_users_command_has_help(app: Flask) -> None:
    for command in ("add", "list", "set-roles", "deactivate"):
        result = _run(app, "users", command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "--password" not in _run(app, "users", "add", "--help").output.replace(
        "--password-stdin", "")


def test_add_list_set_roles_deactivate(app: Flask) -> None:
    added = _add_nora(app)
    assert added.exit_code == 0 and "added nora (clerk, underwriter)" in added.output
    listed = json.loads(_run(app, "users", "list", "--json").output)
    assert listed == [{"username": "nora", "display_name": "Nora Newhire",
                       "roles": ["clerk", "underwriter"], "active": True}]
    changed = _run(app, "users", "set-roles", "nora", "supervisor")
    assert changed.exit_code == 0 and "supervisor" in changed.output
    assert _run(app, "users", "deactivate", "nora").exit_code == 0
    table = _run(app, "users", "list").output
    assert "nora" in table and "supervisor" in table and " no" in table


def test_password_prompt_asks_twice(app: Flask) -> None:
    result = _run(app, "users", "add", "pat", "--display-name", "Pat", "--roles", "finance",
                  stdin="long password\nlong password\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation" in result.output
    assert "long password" not in result.output


def test_errors_are_messages_not_tracebacks(app: Flask) -> None:
    assert _add_nora(app).exit_code == 0
    duplicate = _add_nora(app)
    assert duplicate.exit_code == 1 and "already a user called nora" in duplicate.output
    unknown_role = _run(app, "users", "set-roles", "nora", "clerk,pilot")
    assert unknown_role.exit_code == 1 and "Unknown role(s): pilot" in unknown_role.output
    unknown_user = _run(app, "users", "deactivate", "ghost")
    assert unknown_user.exit_code == 1 and "no user called ghost" in unknown_user.output
    short = _run(app, "users", "add", "sam", "--display-name", "Sam", "--roles", "clerk",
                 "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "password: Use at least 10 characters." in short.output
    for result in (duplicate, unknown_role, unknown_user, short):
        assert "Traceback" not in result.output


def test_demo_prints_users_with_passwords_and_roles(app: Flask) -> None:
    result = _run(app, "demo")
    assert result.exit_code == 0, result.output
    assert "clerk1   clerk1-demo" in result.output and "aud1" in result.output
    assert "senior_underwriter" in result.output
