"""People who sign in: add them, change their roles and passwords, switch them off and on,
check a password, end their browser sessions.

No Flask here: the web edge and the CLI both call these, and the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import User, WebSession

from .errors import Conflict, InvalidInput, NotFound
from .roles import ALL_ROLES

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,49}$")
MIN_PASSWORD_LENGTH = 10
MAX_DISPLAY_NAME_LENGTH = 200
STAFF, INTEGRATION = "staff", "integration"


def normalise_username(username: str) -> str:
    """Usernames are compared lower-case so `Clerk1` and `clerk1` are one person."""
    return username.strip().lower()


def _role_problems(roles: Iterable[str]) -> list[str]:
    roles = list(roles)
    unknown = sorted(set(roles) - set(ALL_ROLES))
    if unknown:
        return [f"Unknown role(s): {', '.join(unknown)}. Choose from: {', '.join(ALL_ROLES)}."]
    if not roles:
        return ["Give at least one role."]
    return []


def _ordered_roles(roles: Iterable[str]) -> list[str]:
    """Stored in the order of ALL_ROLES, without duplicates, so lists compare and read alike."""
    wanted = set(roles)
    return [role for role in ALL_ROLES if role in wanted]


def _check_new_user(username: str, display_name: str, password: str,
                    roles: list[str]) -> None:
    fields: dict[str, list[str]] = {}
    if not USERNAME_PATTERN.match(username):
        fields["username"] = ["Use 2 to 50 characters: lower-case letters, digits, '.', '_' "
                              "or '-', starting with a letter."]
    if not display_name.strip():
        fields["display_name"] = ["This field is required."]
    elif len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        fields["display_name"] = [f"Use at most {MAX_DISPLAY_NAME_LENGTH} characters."]
    if problems := _password_problems(password):
        fields["password"] = problems
    if problems := _role_problems(roles):
        fields["roles"] = problems
    if fields:
        raise InvalidInput("the user was not added; fix the fields below", fields)


def _password_problems(password: str, again: str | None = None) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if again is not None and again != password:
        return ["The two new passwords differ."]
    return []


def add_user(session: Session, username: str, display_name: str, password: str,
             roles: Iterable[str]) -> User:
    """Add a user with a scrypt password hash; every problem with the input is reported."""
    username = normalise_username(username)
    roles = list(roles)
    _check_new_user(username, display_name, password, roles)
    if _find(session, username) is not None:
        raise Conflict(f"there is already a user called {username}")
    user = User(username=username, display_name=display_name.strip(), roles=_ordered_roles(roles),
                password_hash=generate_password_hash(password), active=True)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # someone added the same name at the same moment
        raise Conflict(f"there is already a user called {username}") from error
    return user


def list_users(session: Session) -> list[User]:
    """Staff and integration accounts alike, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, username: str) -> User:
    user = _find(session, normalise_username(username))
    if user is None:
        raise NotFound(f"there is no user called {username}")
    return user


def set_roles(session: Session, username: str, roles: Iterable[str]) -> User:
    """Replace a user's roles; they apply from the user's next request."""
    roles = list(roles)
    if problems := _role_problems(roles):
        raise InvalidInput("the roles were not changed", {"roles": problems})
    user = get_user(session, username)
    if user.kind != STAFF:
        raise Conflict(f"{user.username} is an integration account: it holds no roles, only "
                       "the message names of its API tokens")
    user.roles = _ordered_roles(roles)
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    """A deactivated user is signed out on their next request and cannot sign in again."""
    user = get_user(session, username)
    user.active = active
    if not active:
        end_sessions(session, user.id)
    return user


def change_password(session: Session, user_id: int, current: str, new: str, again: str,
                    keep_session: str | None) -> User:
    """A user's own change: the current password, then the new one twice. Every other
    session of the user ends (the one making the change, `keep_session`, goes on)."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.kind != STAFF:
        raise NotFound("there is no such user")
    fields: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current):
        fields["current_password"] = ["This is not your current password."]
    if problems := _password_problems(new, again):
        fields["new_password"] = problems
    if fields:
        raise InvalidInput("the password was not changed; fix the fields below", fields)
    user.password_hash = generate_password_hash(new)
    end_sessions(session, user.id, keep=secret_digest(keep_session) if keep_session else None)
    return user


def reset_password(session: Session, username: str, password: str) -> User:
    """An administrator sets a new password; every session of the user ends."""
    user = get_user(session, username)
    if user.kind != STAFF:
        raise Conflict(f"{user.username} is an integration account: it signs in with API "
                       "tokens, not a password")
    if problems := _password_problems(password):
        raise InvalidInput("the password was not changed", {"password": problems})
    user.password_hash = generate_password_hash(password)
    end_sessions(session, user.id)
    return user


def secret_digest(secret: str) -> str:
    """SHA-256 of a random secret (session id, API token): enough for 32 random bytes, and
    the database never holds the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """Delete the user's browser sessions (but `keep`, the digest of one to go on)."""
    ending = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        ending = ending.where(WebSession.id != keep)
    session.execute(ending)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None.

    An unknown name still costs one hash check, so response time does not tell an attacker
    which usernames exist.
    """
    user = _find(session, normalise_username(username))
    if user is None or user.kind != STAFF:  # integration accounts have no password
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def _find(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-anyone's-password")
