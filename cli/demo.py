"""`insurflow demo`: products, a user per role, customers and cases in every state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from handlers import ensure_products
from models import Case, User
from services import processes
from services.roles import ALL_ROLES

from .demo_cases import Uow, seed_cases
from .errors import GuardedCommand
from .output import uow, user_errors

DEMO_USERS: dict[str, tuple[str, list[str]]] = {
    "clerk1": ("Clara Clerk", ["clerk"]),
    "uw1": ("Uma Underwriter", ["underwriter"]),
    "suw1": ("Sam Senior-Underwriter", ["senior_underwriter"]),
    "ch1": ("Chen Claims-Handler", ["claims_handler"]),
    "sch1": ("Sofia Senior-Claims", ["senior_claims_handler"]),
    "cm1": ("Marco Claims-Manager", ["claims_manager"]),
    "fin1": ("Fatima Finance", ["finance"]),
    "sup1": ("Sid Supervisor", ["supervisor"]),
    "aud1": ("Ada Auditor", ["auditor"]),
    "admin": ("Alex Admin", ["admin"]),
}


def demo_password(username: str) -> str:
    return f"{username}-demo"


def seed_demo_users(session: Session, only: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Add the demo users that are missing (all, or those named in `only`).

    Written directly rather than through services.users.add_user: the demo passwords are
    public and shorter than the policy allows, which is fine only for demo data.
    """
    rows = []
    for username, (name, roles) in DEMO_USERS.items():
        if only is not None and username not in only:
            continue
        assert all(role in ALL_ROLES for role in roles)
        if session.scalar(select(User).where(User.username == username)) is None:
            session.add(User(username=username, display_name=name, roles=roles,
                             password_hash=generate_password_hash(demo_password(username))))
        rows.append({"username": username, "password": demo_password(username),
                     "roles": ", ".join(roles)})
    return rows


def seed_demo_data(uow: Uow, with_cases: bool = True) -> tuple[list[dict[str, Any]], str]:
    """Deploy the processes, products, a user per role and (once) demo cases.

    Shared by `insurflow demo` and the browser tests' live server, so both see the same data.
    Returns the demo users (with their passwords) and a one-line summary of the cases.
    """
    with uow() as work:
        processes.deploy(work.session, "demo")
        ensure_products(work.session)
        users = seed_demo_users(work.session)
        work.commit()
    if not with_cases:
        return users, "no cases requested"
    with uow() as work:
        has_cases = bool(work.session.scalar(select(func.count()).select_from(Case)))
    summary = "cases already present, none added" if has_cases else seed_cases(uow)
    return users, summary


@click.command(
    cls=GuardedCommand, help="Seed demo data: deploy processes, products, a user per role, and "
    "cases in every state. Safe to run twice (cases are seeded once).")
@with_appcontext
def demo() -> None:
    from .commands import upgrade_database

    upgrade_database()
    with user_errors():
        users, summary = seed_demo_data(uow)
    click.echo(f"demo data ready: {summary}")
    click.echo("demo users (username / password / roles):")
    for row in users:
        click.echo(f"  {row['username']:<8} {row['password']:<14} {row['roles']}")
