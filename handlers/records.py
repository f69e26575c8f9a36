"""Looking up the business records handlers work on, by the numbers processes carry.

The statements are built once: building one (and its cache key) on every call cost more than
running it. A number that matches nothing is a business failure the case reports, not a crash.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from models import Application, Policy

from .registry import HandlerError
from .values import to_text

APPLICATION_BY_NUMBER = select(Application).where(
    Application.application_number == bindparam("number")
)
POLICY_BY_NUMBER = select(Policy).where(Policy.policy_number == bindparam("number"))

_Row = TypeVar("_Row", bound=tuple[Any, ...])


def application_row(session: Session, stmt: Select[_Row], number: Any) -> Row[_Row]:
    """Run a query keyed by application number (`:number`) that starts with the application."""
    row = session.execute(stmt, {"number": to_text(number)}).one_or_none()
    if row is None:
        raise HandlerError(f"Application {to_text(number)} does not exist.")
    return row


def get_application(session: Session, number: Any) -> Application:
    """Load an application by number."""
    return application_row(session, APPLICATION_BY_NUMBER, number)[0]


def get_policy(session: Session, number: Any) -> Policy:
    """Load a policy by number."""
    policy = session.execute(POLICY_BY_NUMBER, {"number": to_text(number)}).scalar_one_or_none()
    if policy is None:
        raise HandlerError(f"Policy {to_text(number)} does not exist.")
    return policy
