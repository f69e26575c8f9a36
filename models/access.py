"""Who looked at what on the auditor pages: every view and download, one row each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AuditAccess(Base):
    """One view of an auditor page, written in the same transaction that read the data.

    Looking at a case's history is itself something an auditor must be able to account
    for ("who has seen this claim?"); the application only ever inserts these rows.
    """

    __tablename__ = "audit_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    # what was viewed: "case search", "case audit", "report", "file", "step", "access log"
    page: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # the filters of a search, the file downloaded or the step shown, as a query string
    query: Mapped[str] = mapped_column(String(2000), default="")
