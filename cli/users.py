"""`insurflow users`: add people, list them, change roles, reset passwords, switch accounts
off and on again.

Passwords never travel as arguments (they would sit in shell history and `ps`): they are
prompted for twice, or read from standard input with --password-stdin.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from services import users
from services.roles import ALL_ROLES

from .errors import GuardedGroup
from .output import emit_json, json_flag, table, uow, user_errors

ROLES_HELP = "Comma-separated roles, any of: " + ", ".join(ALL_ROLES) + "."


def _split_roles(text: str) -> list[str]:
    return [role.strip() for role in text.split(",") if role.strip()]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.group("users", cls=GuardedGroup, help="People who sign in and the roles they work in.")
def users_group() -> None:
    pass


@users_group.command("add", help="Add USERNAME with roles; the password is prompted for.")
@click.argument("username")
@click.option("--display-name", required=True, help="The name shown to colleagues.")
@click.option("--roles", "roles_text", required=True, help=ROLES_HELP)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def users_add(username: str, display_name: str, roles_text: str, password_stdin: bool) -> None:
    password = _read_password(password_stdin)
    with user_errors(), uow() as work:
        user = users.add_user(work.session, username, display_name, password,
                              _split_roles(roles_text))
        work.commit()
        click.echo(f"added {user.username} ({', '.join(user.roles)})")


@users_group.command("list", help="Every user with roles and whether they can sign in.")
@json_flag
def users_list(as_json: bool) -> None:
    with uow() as work:
        rows: list[dict[str, Any]] = [
            {"username": u.username, "display_name": u.display_name, "roles": list(u.roles),
             "active": u.active, "kind": u.kind} for u in users.list_users(work.session)]
    if as_json:
        emit_json(rows)
        return
    shown = [{**row, "roles": ",".join(row["roles"]), "active": "yes" if row["active"] else "no"}
             for row in rows]
    table(shown, ["username", "display_name", "roles", "active", "kind"])


@users_group.command("set-roles", help="Replace the roles of USERNAME with ROLES. " + ROLES_HELP)
@click.argument("username")
@click.argument("roles_text", metavar="ROLES")
def users_set_roles(username: str, roles_text: str) -> None:
    with user_errors(), uow() as work:
        user = users.set_roles(work.session, username, _split_roles(roles_text))
        work.commit()
        click.echo(f"{user.username} now has: {', '.join(user.roles)}")


@users_group.command("deactivate", help="Stop USERNAME signing in; open sessions end at once.")
@click.argument("username")
def users_deactivate(username: str) -> None:
    with user_errors(), uow() as work:
        user = users.set_active(work.session, username, False)
        work.commit()
        click.echo(f"{user.username} can no longer sign in")


@users_group.command("reactivate", help="Let USERNAME sign in again (after deactivate).")
@click.argument("username")
def users_reactivate(username: str) -> None:
    with user_errors(), uow() as work:
        user = users.set_active(work.session, username, True)
        work.commit()
        click.echo(f"{user.username} can sign in again")


@users_group.command("reset-password", help="Set a new password for USERNAME (prompted for "
                     "twice); every session of the user ends.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def users_reset_password(username: str, password_stdin: bool) -> None:
    password = _read_password(password_stdin)
    with user_errors(), uow() as work:
        user = users.reset_password(work.session, username, password)
        work.commit()
        click.echo(f"new password set for {user.username}; their sessions have ended")
