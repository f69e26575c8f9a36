"""Messages from outside (bank, post room, document scanning) and the keys that find a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CaseKey(Base):
    """A business number that finds a case besides its own business key (e.g. a policy number
    finds the new-business case whose application became that policy)."""

    __tablename__ = "case_key"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)


class InboundMessage(Base):
    """Every message that passed validation, with what became of it.

    `id` is the sender's message id (or one we made up): a second message with the same id is
    answered with the first one's outcome and changes nothing.
    """

    __tablename__ = "inbound_message"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # delivered, unknown_key or not_waiting
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    detail: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    received_by: Mapped[str] = mapped_column(String(100))
