"""API tokens of integration accounts: made once, shown once, kept as a SHA-256 digest.

A token is 32 random bytes, so a plain SHA-256 digest is enough (nothing to brute-force)
and checking one costs microseconds, where a password hash costs about 0.1 s of CPU per
call. A token reads `ifw_<prefix>_<secret>`: the prefix is not secret and finds the row.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import ApiToken, User

from .errors import Conflict, InvalidInput, NotFound
from .messages import message_names
from .users import INTEGRATION, USERNAME_PATTERN, normalise_username, secret_digest

TOKEN_START = "ifw_"
MAX_NAME_LENGTH = 100
# last_used_at is written at most this often, so a busy sender does not write on every call.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is the whole token, shown once and never again."""

    token: ApiToken
    account: str
    secret: str


@dataclass(frozen=True)
class TokenHolder:
    """Who a valid bearer token speaks for, and which messages it may send."""

    user: User
    messages: frozenset[str]


def _checked_messages(names: Iterable[str]) -> list[str]:
    wanted = sorted({name.strip() for name in names if name.strip()})
    known = message_names()
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise InvalidInput("the token was not made", {"messages": [
            (f"Unknown message(s): {', '.join(unknown)}. " if unknown else "Name at least one "
             "message. ") + f"Choose from: {', '.join(known)}."]})
    return wanted


def _integration_account(session: Session, account: str) -> User:
    """The integration account `account`, added now if there is none."""
    username = normalise_username(account)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        if not USERNAME_PATTERN.match(username):
            raise InvalidInput("the token was not made", {"account": [
                "Use 2 to 50 characters: lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter."]})
        user = User(username=username, display_name=username, roles=[], password_hash="",
                    active=True, kind=INTEGRATION)
        session.add(user)
    elif user.kind != INTEGRATION:
        raise Conflict(f"{username} is a staff account; API tokens belong to integration "
                       "accounts (choose another name)")
    elif not user.active:
        raise Conflict(f"{username} is switched off; reactivate it first")
    return user


def create_token(session: Session, account: str, messages: Iterable[str],
                 name: str | None = None) -> NewToken:
    """A new token for integration account `account` (added if needed) for `messages`."""
    allowed = _checked_messages(messages)
    label = (name or "").strip() or "token"
    if len(label) > MAX_NAME_LENGTH:
        raise InvalidInput("the token was not made", {"name": [
            f"Use at most {MAX_NAME_LENGTH} characters."]})
    user = _integration_account(session, account)
    session.flush()
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(user_id=user.id, name=label, prefix=prefix, digest=secret_digest(secret),
                     messages=allowed, created_at=current_time())
    session.add(token)
    session.flush()
    return NewToken(token, user.username, secret)


def list_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with its account's username, oldest first (revoked ones too)."""
    rows = session.execute(select(ApiToken, User.username)
                           .join(User, User.id == ApiToken.user_id).order_by(ApiToken.id))
    return [(token, username) for token, username in rows.tuples()]


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke at once; revoking twice keeps the first time."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"there is no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = current_time()
    return token


def authenticate_token(session: Session, secret: str) -> TokenHolder | None:
    """The active integration account a live token belongs to, or None."""
    parts = secret.split("_", 2)  # the random part may hold "_" itself
    if len(parts) != 3 or f"{parts[0]}_" != TOKEN_START:  # noqa: PLR2004
        return None
    row = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.prefix == parts[1])).tuples().first()
    if row is None:
        return None
    token, user = row
    if not hmac.compare_digest(token.digest, secret_digest(secret)):
        return None
    if token.revoked_at is not None or not user.active or user.kind != INTEGRATION:
        return None
    now = current_time()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
    return TokenHolder(user, frozenset(token.messages))
