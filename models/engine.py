"""Engine records: deployed process versions, cases, their saved state, open human tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# The hash a case's first audit event follows (services.audit_chain.GENESIS).
GENESIS_HASH = "0" * 64


class StoredFile(Base):
    """A process, decision or form file, content-addressed so versions share unchanged files."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class ProcessVersion(Base):
    """One deployed version of a process: its BPMN plus every DMN and form it uses."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # {relative path: sha256 of StoredFile}
    files: Mapped[dict[str, Any]]
    bpmn_path: Mapped[str] = mapped_column(String(500))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(100))


class Case(Base):
    """A process instance. `version_id` makes concurrent writers conflict instead of overwrite."""

    __tablename__ = "cases"
    __table_args__ = (
        # The auditors' case search: business key prefix and customer name substring. On
        # PostgreSQL a pg_trgm GIN index serves both (LIKE / ILIKE); SQLite scans.
        Index("ix_cases_search", "business_key", "customer_name", postgresql_using="gin",
              postgresql_ops={"business_key": "gin_trgm_ops",
                              "customer_name": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    business_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # Who the case is about, for the inbox and case search (set by the registering handler).
    customer_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    version_id: Mapped[int] = mapped_column(default=1)
    # Workflow-level saved state (data, correlations, root id); tasks live in CaseTaskState.
    workflow_state: Mapped[dict[str, Any]]
    serializer_version: Mapped[str] = mapped_column(String(16))
    last_event_seq: Mapped[int] = mapped_column(default=0)
    # Hash of the last audit event (services.audit_chain); all zeros before the first event.
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH,
                                           server_default=GENESIS_HASH)
    started_by: Mapped[str] = mapped_column(String(100))
    # indexed: the auditors' search filters on it and lists newest first
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # When the earliest timer the case waits on is due (from the engine, set on every save).
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)

    __mapper_args__ = {"version_id_col": version_id}


class CaseTaskState(Base):
    """One SpiffWorkflow task of a case's live task tree; a step rewrites only changed rows."""

    __tablename__ = "case_task_state"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # "" for the top-level workflow, else the id of the subprocess the task belongs to.
    workflow_key: Mapped[str] = mapped_column(String(36))
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]]


OPEN = "status = 'open'"
UNCLAIMED = "status = 'open' AND assignee IS NULL"


def _partial(where: str) -> dict[str, Any]:
    """A partial index on both databases (the same predicate, so Alembic sees one schema)."""
    return {"postgresql_where": text(where), "sqlite_where": text(where)}


class HumanTask(Base):
    """A user task as a queryable row, mirrored from the engine state.

    The case's process, business key and customer are copied onto the row so the inbox can
    filter, search and sort open work with one indexed query and no joins.

    The inbox indexes are partial (open tasks only), so they stay the size of the open work
    however much completed history the table holds. Each tab's index is in the inbox's
    default order (due date, no due date last, then created, id): the first page is read off
    the index and a tab is counted from the index alone. On PostgreSQL the search index is a
    pg_trgm GIN index (business key prefix, customer name substring); on SQLite it is a plain
    index that the search does not use.
    """

    __tablename__ = "human_task"
    __table_args__ = (
        # process and task kind last: a filtered tab is still counted from the index alone
        Index("ix_human_task_unclaimed", "role", "due_at", "created_at", "id", "process_id",
              "element_id", **_partial(UNCLAIMED)),
        Index("ix_human_task_open_assignee", "assignee", "due_at", "created_at", "id",
              **_partial(OPEN)),
        Index("ix_human_task_open_due", "due_at", "created_at", "id", **_partial(OPEN)),
        Index("ix_human_task_open_search", "business_key", "customer_search",
              postgresql_using="gin",
              postgresql_ops={"business_key": "gin_trgm_ops", "customer_search": "gin_trgm_ops"},
              **_partial(OPEN)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200), default="")
    business_key: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    # lower-cased customer name, for case-insensitive prefix search on every database
    customer_search: Mapped[str | None] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    form_key: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64))
    instructions: Mapped[str | None] = mapped_column(Text)
    # Not indexed on their own: every query of tasks by status or assignee asks for open
    # ones, which the partial indexes above serve; a full index would only cost writes.
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(default=50)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))


class TaskDraft(Base):
    """What one user typed into a task's form and saved without completing it."""

    __tablename__ = "task_draft"

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]]
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Incident(Base):
    """A service task that failed: the case stops at that task until someone acts."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    error_type: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    # open, resolved (a retry got past the task) or skipped (completed without its handler)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # how many times the service task ran before the case stopped, and when it last ran
    attempts: Mapped[int] = mapped_column(default=1)
    last_attempt_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only history of a case; the application never updates or deletes rows.

    Each event carries its hash and the hash of the event before it in the case (a chain, see
    services.audit_chain); on PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        # "every case this person acted in", for the auditors' search by actor
        Index("ix_audit_event_actor_case", "actor", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # looked up through the (case_id, seq) unique index: an index of its own only cost writes
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class NumberSequence(Base):
    """Counters for business numbers (APP-, POL-, CLM-, PAY-), taken under a row lock."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_value: Mapped[int] = mapped_column(default=1)
