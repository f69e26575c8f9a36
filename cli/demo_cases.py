"""Demo cases in every state, driven through the same services the web app uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.clock import current_time
from services import cases, tasks
from services.unit_of_work import UnitOfWork

Uow = Callable[[], UnitOfWork]

PEOPLE: list[tuple[str, str, str, dict[str, Any]]] = [
    ("Mei Lin", "1988-04-12", "A123456789", {}),
    ("Chen Wei", "1975-09-03", "B223456780", {"smoker": True}),
    ("Lin Hua", "1969-02-20", "C323456781", {"health_conditions": "major",
                                             "health_details": "Type 2 diabetes"}),
    ("Wang Fang", "1990-07-30", "D423456782", {"health_conditions": "major",
                                               "health_details": "Asthma, hospitalised 2024"}),
    ("Zhang Min", "1955-01-15", "E523456783", {"health_conditions": "major",
                                               "health_details": "Heart failure",
                                               "product_code": "WHOLE_LIFE"}),
    ("Huang Li", "1992-12-01", "F623456784", {"product_code": "HEALTH",
                                              "sum_insured": "9000000.00"}),
    ("Liu Yang", "1983-05-05", "G723456785", {}),
    ("Wu Jie", "1979-08-18", "H823456786", {}),
]


def _application(name: str, dob: str, id_number: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"full_name": name, "date_of_birth": dob, "id_number": id_number,
            "phone": "+886 2 5550 0000", "email": f"{id_number.lower()}@example.com",
            "address": "88 Zhongshan Road, Taipei", "product_code": "TERM_LIFE",
            "sum_insured": "300000.00", "channel": "agent", "occupation": "Office worker",
            "occupation_class": "office", "smoker": False, "hazardous_hobbies": False,
            "health_conditions": "none", "consent": True, **extra}


def _complete(uow: Uow, case_id: int, element_id: str, data: dict[str, Any], user: str) -> None:
    with uow() as work:
        view = cases.show_case(work.session, case_id, viewer=None)
        task = next(t for t in view.open_tasks if t.element_id == element_id)
        tasks.complete_task(work.session, task.id, data, user)
        work.commit()


def _start(uow: Uow, process_id: str, data: dict[str, Any], user: str) -> int:
    with uow() as work:
        case = cases.start_case(work.session, process_id, data, user)
        work.commit()
        return case.id


def seed_cases(uow: Uow) -> str:
    today = current_time().date().isoformat()
    ids = [_start(uow, "new_business", _application(*person), "clerk1") for person in PEOPLE]
    for case_id in ids[:5] + ids[6:]:
        premium = {"method": "online", "amount": _premium_due(uow, case_id), "paid_on": today}
        _complete(uow, case_id, "record_first_premium", premium, "clerk1")
    # Wang Fang: referred, underwriter sends to the senior, who has it now.
    _complete(uow, ids[3], "underwriting_review",
              {"decision": "refer_to_senior", "reason": "Hospitalisation history"}, "uw1")
    # Mei Lin and Liu Yang: issued; Liu Yang delivered and confirmed (in force).
    for case_id in (ids[0], ids[6]):
        _complete(uow, case_id, "deliver_policy", {"method": "mail", "sent_on": today}, "clerk1")
    _complete(uow, ids[6], "record_delivery_confirmation",
              {"receipt_signed_on": today, "signed_by": "Liu Yang",
               "receipt_reference": "RCPT-DEMO-1"}, "clerk1")
    _complete(uow, ids[7], "deliver_policy", {"method": "in_person", "sent_on": today}, "clerk1")
    _complete(uow, ids[7], "record_delivery_confirmation",
              {"receipt_signed_on": today, "signed_by": "Wu Jie",
               "receipt_reference": "RCPT-DEMO-2"}, "clerk1")
    claims = _seed_claims(uow, today)
    return f"{len(ids)} new business cases and {claims} claims"


def _premium_due(uow: Uow, case_id: int) -> str:
    """The first premium the form accepts: the one verification found due."""
    with uow() as work:
        view = cases.show_case(work.session, case_id, viewer=None)
        return str(view.data["verification"]["premium_due"])


def _policy_of(uow: Uow, case_id: int) -> str:
    with uow() as work:
        view = cases.show_case(work.session, case_id, viewer=None)
        return str(view.data["issuance"]["policy_number"])


def _seed_claims(uow: Uow, today: str) -> int:
    with uow() as work:
        in_force = [c.id for c in cases.find_cases(work.session, status="completed", viewer=None)
                    if c.process_id == "new_business"]
    policy = _policy_of(uow, in_force[0])
    claim = {"policy_number": policy, "loss_date": today, "cause": "accident",
             "description": "Slipped on wet stairs, broken wrist"}
    investigation = {"cause_confirmed": True, "extent_of_loss": "Fracture, 6 weeks off work",
                     "fraud_indicators": [], "findings": "Hospital records match",
                     "recommendation": "continue"}
    _start(uow, "claims", {**claim, "amount_claimed": "3200.00"}, "clerk1")  # at investigation
    manager = _start(uow, "claims", {**claim, "amount_claimed": "60000.00"}, "clerk1")
    paid = _start(uow, "claims", {**claim, "amount_claimed": "2400.00"}, "clerk1")
    assessing = _start(uow, "claims", {**claim, "amount_claimed": "900.00"}, "clerk1")
    _start(uow, "claims", {**claim, "policy_number": "POL-999999",
                           "amount_claimed": "100.00"}, "clerk1")  # rejected: no such policy
    for case_id in (manager, paid, assessing):  # the last waits for its loss assessment
        _complete(uow, case_id, "investigate_claim", investigation, "ch1")
    for case_id, amount in ((manager, "60000.00"), (paid, "2400.00")):
        _complete(uow, case_id, "assess_loss", {"amount_to_pay": amount,
                                                "rationale": "Per medical invoices"}, "ch1")
    _complete(uow, paid, "approve_claim_handler", {"decision": "approve", "comment": "OK"}, "ch1")
    _complete(uow, paid, "pay_claim_task", {"method": "bank_transfer", "paid_on": today,
                                            "reference": "DEMO-PAYOUT-1"}, "fin1")
    return 5
