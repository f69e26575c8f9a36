"""What sign-in keeps in the database: API tokens, browser sessions, recent failed sign-ins.

All three live in the database (not in process memory) because several web processes on
several machines share nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ApiToken(Base):
    """A bearer token of an integration account, limited to some message names.

    Only the SHA-256 digest of the token is kept; `prefix` (its first characters, not secret)
    finds the row and tells tokens apart in listings.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    messages: Mapped[list[Any]]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser; the cookie carries a random id whose digest is `id` here.

    Deleting the row (sign-out, password change, reset, deactivation) ends the session even
    for a copy of the cookie.
    """

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)


class SignInFailure(Base):
    """One failed sign-in, kept for the throttling window only (older rows are pruned)."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_username_failed_at", "username", "failed_at"),
        Index("ix_sign_in_failure_address_failed_at", "address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(index=True)
