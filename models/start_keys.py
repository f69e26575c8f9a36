"""Idempotency keys of case starts: a retried start finds the case the first attempt made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CaseStartKey(Base):
    """One row per (user, key) a client sent when starting a case.

    The primary key is the unique constraint that decides a race between two retries: the
    second insert finds the first one's row and answers with its case.
    `request_hash` fingerprints the process and start data, so the same key with another body
    is refused instead of silently answering with a different case.
    """

    __tablename__ = "case_start_key"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # set in the same transaction as the insert, so a committed row always names its case
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime]
