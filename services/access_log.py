"""The auditor pages' access log: who viewed which page, case and filters, and when.

Routes call `record_view` inside the unit of work that read what they show, so the view
and its record are committed together; this module never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import AuditAccess

PER_PAGE = 50
MAX_QUERY = 2000


def record_view(session: Session, username: str, page: str, case_id: int | None = None,
                query: str = "") -> AuditAccess:
    """Add one access row (flushed with the caller's commit)."""
    row = AuditAccess(at=current_time(), username=username, page=page, case_id=case_id,
                      query=query[:MAX_QUERY])
    session.add(row)
    return row


@dataclass(frozen=True)
class AccessPage:
    rows: list[AuditAccess]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_views(session: Session, page: int = 1, username: str = "") -> AccessPage:
    """Newest first, one page; optionally only one person's views."""
    where = [AuditAccess.username == username] if username else []
    total = session.scalar(select(func.count()).select_from(AuditAccess).where(*where)) or 0
    rows = session.scalars(select(AuditAccess).where(*where)
                           .order_by(AuditAccess.at.desc(), AuditAccess.id.desc())
                           .limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return AccessPage(list(rows), total, page)
