"""`insurflow users` and `insurflow tokens`: add, list, set-roles, deactivate, reactivate,
reset-password; tokens create/list/revoke. Passwords never as arguments."""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from flask import Flask

from app import create_app
from models import ApiToken
from services import users
from services.unit_of_work import UnitOfWork


@pytest.fixture
def app(database_url: str) -> Flask:
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def _add_nora(app: Flask) -> Result:
    return _run(app, "users", "add", "nora", "--display-name", "Nora Newhire",
                "--roles", "clerk,underwriter", "--password-stdin", stdin="correct horse\n")


def test_every_users_command_has_help(app: Flask) -> None:
    for group, command in [("users", name) for name in (
            "add", "list", "set-roles", "deactivate", "reactivate", "reset-password")] + [
            ("tokens", name) for name in ("create", "list", "revoke")]:
        result = _run(app, group, command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "--password" not in _run(app, "users", "add", "--help").output.replace(
        "--password-stdin", "")


def test_add_list_set_roles_deactivate(app: Flask) -> None:
    added = _add_nora(app)
    assert added.exit_code == 0 and "added nora (clerk, underwriter)" in added.output
    listed = json.loads(_run(app, "users", "list", "--json").output)
    assert listed == [{"username": "nora", "display_name": "Nora Newhire",
                       "roles": ["clerk", "underwriter"], "active": True,
                       "kind": "staff"}]
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


def test_reactivate_and_reset_password(app: Flask) -> None:
    assert _add_nora(app).exit_code == 0
    assert _run(app, "users", "deactivate", "nora").exit_code == 0
    again = _run(app, "users", "reactivate", "nora")
    assert again.exit_code == 0 and "nora can sign in again" in again.output
    reset = _run(app, "users", "reset-password", "nora", "--password-stdin",
                 stdin="battery staple\n")
    assert reset.exit_code == 0 and "sessions have ended" in reset.output
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        assert users.authenticate(work.session, "nora", "correct horse") is None
        assert users.authenticate(work.session, "nora", "battery staple") is not None
    short = _run(app, "users", "reset-password", "nora", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "password: Use at least 10 characters." in short.output
    ghost = _run(app, "users", "reactivate", "ghost")
    assert ghost.exit_code == 1 and "no user called ghost" in ghost.output
    for result in (short, ghost):
        assert "Traceback" not in result.output


def test_tokens_create_list_revoke(app: Flask) -> None:
    made = _run(app, "tokens", "create", "bank", "--messages",
                "premium_payment_received", "--name", "PSP", "--json")
    assert made.exit_code == 0, made.output
    shown = json.loads(made.output)
    assert shown["token"].startswith("ifw_" + shown["prefix"] + "_")
    assert (shown["account"], shown["name"], shown["messages"]) == (
        "bank", "PSP", ["premium_payment_received"])
    listed = json.loads(_run(app, "tokens", "list", "--json").output)
    assert [row["id"] for row in listed] == [shown["id"]] and "token" not in listed[0]
    assert listed[0]["revoked_at"] is None and listed[0]["last_used_at"] is None
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        stored = work.session.get(ApiToken, shown["id"])
        assert stored is not None and shown["token"] not in (stored.digest, stored.prefix)
        bank = users.get_user(work.session, "bank")
        assert (bank.kind, bank.roles) == ("integration", [])
    plain = _run(app, "tokens", "create", "bank", "--messages", "premium_payment_received")
    assert plain.exit_code == 0 and "not shown again" in plain.output
    revoked = _run(app, "tokens", "revoke", str(shown["id"]))
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    table = _run(app, "tokens", "list").output
    assert "bank" in table and shown["prefix"] in table and shown["token"] not in table
    assert json.loads(_run(app, "tokens", "list", "--json").output)[0]["revoked_at"]


def test_tokens_refuse_bad_input(app: Flask) -> None:
    assert _add_nora(app).exit_code == 0
    staff = _run(app, "tokens", "create", "nora", "--messages", "premium_payment_received")
    assert staff.exit_code == 1 and "nora is a staff account" in staff.output
    unknown = _run(app, "tokens", "create", "bank", "--messages", "pizza_ordered")
    assert unknown.exit_code == 1 and "Unknown message(s): pizza_ordered" in unknown.output
    bad_name = _run(app, "tokens", "create", "Bank System!", "--messages",
                    "premium_payment_received")
    assert bad_name.exit_code == 1 and "account:" in bad_name.output
    missing = _run(app, "tokens", "revoke", "999")
    assert missing.exit_code == 1 and "no token 999" in missing.output
    assert json.loads(_run(app, "tokens", "list", "--json").output) == []
    assert _run(app, "tokens", "create", "bank", "--messages",
                "premium_payment_received").exit_code == 0
    reset = _run(app, "users", "reset-password", "bank", "--password-stdin",
                 stdin="battery staple\n")
    assert reset.exit_code == 1 and "bank is an integration account" in reset.output
    roles = _run(app, "users", "set-roles", "bank", "clerk")
    assert roles.exit_code == 1 and "holds no roles" in roles.output
    for result in (staff, unknown, bad_name, missing, reset, roles):
        assert "Traceback" not in result.output
