"""The roles people work in; BPMN lanes name the work roles."""

from __future__ import annotations

from dataclasses import dataclass

WORK_ROLES: dict[str, str] = {
    "clerk": "Clerk",
    "underwriter": "Underwriter",
    "senior_underwriter": "Senior underwriter",
    "claims_handler": "Claims handler",
    "senior_claims_handler": "Senior claims handler",
    "claims_manager": "Claims manager",
    "finance": "Finance",
}
OVERSIGHT_ROLES: dict[str, str] = {
    "supervisor": "Supervisor",
    "auditor": "Auditor",
    "admin": "Administrator",
}
ALL_ROLES = {**WORK_ROLES, **OVERSIGHT_ROLES}
# Roles a BPMN lane may name: the work roles, plus supervisors for escalations and reminders.
LANE_ROLES = frozenset(WORK_ROLES) | {"supervisor"}

SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
# May look at every task and case without working them (auditors only look).
OVERSEEING_ROLES = SUPERVISING_ROLES | {"auditor"}


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the roles that decide what they may see and do."""

    username: str
    roles: frozenset[str]

    @property
    def supervises(self) -> bool:
        return bool(self.roles & SUPERVISING_ROLES)

    @property
    def oversees(self) -> bool:
        return bool(self.roles & OVERSEEING_ROLES)

    @property
    def work_roles(self) -> frozenset[str]:
        return frozenset(role for role in self.roles if role in LANE_ROLES)

    def can_work(self, role: str) -> bool:
        return role in self.roles

    def can_see(self, role: str, assignee: str | None) -> bool:
        return self.oversees or self.can_work(role) or assignee == self.username
