"""The roles people work in; BPMN lanes name the work roles."""

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
