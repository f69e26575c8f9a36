"""Who acts when no one signed in: the CLI's `--user` names a person, checked as the web
checks a signed-in one, so the audited history only ever names real, active people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User

from .errors import InvalidInput, PermissionDenied
from .roles import ALL_ROLES, Actor
from .users import normalise_username


def active_actor(session: Session, username: str, *roles: str) -> Actor:
    """The active user `username` with their roles; with `roles`, they must hold one of them.

    What they may do with those roles (start this process, complete this task) is then
    checked by the use case itself, exactly as for a signed-in user.
    """
    person = session.scalar(select(User).where(User.username == normalise_username(username)))
    if person is None or not person.active:
        raise InvalidInput(f"there is no active user '{username}'")
    if roles and not set(roles) & set(person.roles):
        wanted = " or ".join(ALL_ROLES.get(role, role).lower() for role in roles)
        raise PermissionDenied(f"{person.username} does not have the {wanted} role")
    return Actor(person.username, frozenset(person.roles))
