"""Who is signed in for this request: a frozen snapshot, so templates cannot change it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g

from models import User
from services.roles import Actor
from services.tokens import TokenHolder


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    # Set only for an integration account signed in with an API token: what it may send.
    allowed_messages: frozenset[str] | None = None

    @classmethod
    def of(cls, user: User) -> CurrentUser:
        return cls(id=user.id, username=user.username, display_name=user.display_name,
                   roles=frozenset(user.roles))

    @classmethod
    def of_token(cls, holder: TokenHolder) -> CurrentUser:
        """An integration account: no staff roles, only the messages its token allows."""
        user = holder.user
        return cls(id=user.id, username=user.username, display_name=user.display_name,
                   roles=frozenset(), allowed_messages=holder.messages)

    @property
    def is_integration(self) -> bool:
        return self.allowed_messages is not None

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of `roles`."""
        return not self.roles.isdisjoint(roles)

    @property
    def actor(self) -> Actor:
        """The person as the services see them."""
        return Actor(self.username, self.roles)

    @property
    def is_supervisor(self) -> bool:
        return "supervisor" in self.roles

    @property
    def is_auditor(self) -> bool:
        return "auditor" in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_read_only(self) -> bool:
        """Auditors look but never change anything; a second role lifts that."""
        return self.roles == {"auditor"}


def current_user() -> CurrentUser | None:
    user: CurrentUser | None = g.get("user")
    return user
