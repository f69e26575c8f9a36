"""SQLAlchemy models: domain records and engine state. Import from here."""

from .base import Base, utcnow
from .domain import Application, Claim, Customer, Payment, Policy, Product
from .engine import (
    AuditEvent,
    Case,
    CaseTaskState,
    HumanTask,
    Incident,
    NumberSequence,
    ProcessVersion,
    StoredFile,
    TaskDraft,
)
from .jobs import Job, WorkerHeartbeat
from .users import SavedFilter, User

__all__ = [
    "Application",
    "AuditEvent",
    "Base",
    "Case",
    "CaseTaskState",
    "Claim",
    "Customer",
    "HumanTask",
    "Incident",
    "Job",
    "NumberSequence",
    "Payment",
    "Policy",
    "ProcessVersion",
    "Product",
    "SavedFilter",
    "StoredFile",
    "TaskDraft",
    "User",
    "WorkerHeartbeat",
    "utcnow",
]
