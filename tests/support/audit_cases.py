"""Cases for the auditor page tests: a referred application, and one an underwriter decided."""

from __future__ import annotations

from services import assignment
from services.roles import Actor
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant
from tests.support.flows import UowFactory


def referred_case(uow: UowFactory, **changes: object) -> int:
    """A new-business case the rules referred (major health condition), waiting for review."""
    case_id = flows.start(uow, "new_business", applicant(
        health_conditions="major", health_details="Asthma", **changes))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    return case_id


def reviewed_case(uow: UowFactory, **changes: object) -> int:
    """A referred case an underwriter (uw1) accepted with a loading after claiming it."""
    case_id = referred_case(uow, **changes)
    task_id = flows.open_task(uow, case_id, "underwriting_review")
    with uow() as work:
        assignment.claim(work.session, task_id, Actor("uw1", frozenset({"underwriter"})))
        work.commit()
    flows.complete(uow, case_id, "underwriting_review", {
        "decision": "accept_with_loading", "loading_percent": 25,
        "reason": "Asthma under control"}, actor="uw1")
    return case_id
