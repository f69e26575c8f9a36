"""Signing in with a password, throttled; browser sessions kept on the server.

Failed sign-ins are counted per account and per client address in the database, so every
web process on every machine sees the same count. A name that does not exist is counted
and throttled like one that does, so throttling tells nothing about which names exist.
While an account or address is throttled the password is not even checked. The throttle
reads the engine clock (tests move it); session lifetimes read the wall clock, like the
cookie's own sign-in time, so a test moving business time on does not sign anyone out.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import SignInFailure, User, WebSession, utcnow

from .errors import ServiceError
from .users import STAFF, authenticate, normalise_username, secret_digest

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures per account within WINDOW
ADDRESS_LIMIT = 20  # failures per client address within WINDOW (a shared office NAT)


class Throttled(ServiceError):
    """Too many recent failures; `retry_after` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"Too many failed sign-in attempts. Try again in {minutes} "
                         f"minute{'s' if minutes != 1 else ''}.")
        self.retry_after = retry_after


def sign_in(session: Session, username: str, password: str, address: str) -> User | None:
    """The staff user these credentials name, None when wrong (the failure is recorded and
    the caller commits), or Throttled before anything is checked."""
    now = current_time()
    name, address = normalise_username(username)[:100], (address or "unknown")[:64]
    by_account = _recent(session, SignInFailure.username == name, ACCOUNT_LIMIT, now)
    by_address = _recent(session, SignInFailure.address == address, ADDRESS_LIMIT, now)
    wait = max(_wait(by_account, ACCOUNT_LIMIT, now), _wait(by_address, ADDRESS_LIMIT, now))
    if wait > 0:
        raise Throttled(wait)
    user = authenticate(session, username, password)
    if user is None:
        session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - WINDOW))
        session.add(SignInFailure(username=name, address=address, failed_at=now))
    elif by_account:  # a success forgets the account's failures (no write when there are none)
        session.execute(delete(SignInFailure).where(SignInFailure.username == name))
    return user


def _recent(session: Session, matching: ColumnElement[bool], limit: int,
            now: datetime) -> list[datetime]:
    """The newest `limit` failures `matching` within the window, newest first."""
    return list(session.scalars(
        select(SignInFailure.failed_at).where(matching, SignInFailure.failed_at > now - WINDOW)
        .order_by(SignInFailure.failed_at.desc()).limit(limit)))


def _wait(recent: list[datetime], limit: int, now: datetime) -> int:
    """Seconds until fewer than `limit` of the `recent` failures lie within the window."""
    if len(recent) < limit:
        return 0
    return max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))


def start_session(session: Session, user: User, lifetime: timedelta) -> str:
    """A new server-side session; the returned id goes in the cookie, only its digest here.
    Sessions past their lifetime are pruned on the way."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.created_at <= now - lifetime))
    session_id = secrets.token_urlsafe(32)
    session.add(WebSession(id=secret_digest(session_id), user_id=user.id, created_at=now))
    return session_id


def session_user(session: Session, session_id: str, lifetime: timedelta) -> User | None:
    """The active staff user of a live session (one indexed lookup), or None."""
    return session.scalar(
        select(User).join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id == secret_digest(session_id),
               WebSession.created_at > utcnow() - lifetime,
               User.active.is_(True), User.kind == STAFF))


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == secret_digest(session_id)))
