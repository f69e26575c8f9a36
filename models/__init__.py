"""SQLAlchemy models: domain records and engine state. Import from here."""

from .access import AuditAccess
from .accounts import ApiToken, SignInFailure, WebSession
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
from .messages import CaseKey, InboundMessage
from .start_keys import CaseStartKey
from .users import SavedFilter, User

__all__ = [
    "ApiToken",
    "Application",
    "AuditAccess",
    "AuditEvent",
    "Base",
    "Case",
    "CaseKey",
    "CaseStartKey",
    "CaseTaskState",
    "Claim",
    "Customer",
    "HumanTask",
    "InboundMessage",
    "Incident",
    "Job",
    "NumberSequence",
    "Payment",
    "Policy",
    "ProcessVersion",
    "Product",
    "SavedFilter",
    "SignInFailure",
    "StoredFile",
    "TaskDraft",
    "User",
    "WebSession",
    "WorkerHeartbeat",
    "utcnow",
]
