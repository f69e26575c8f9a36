"""`audit verify` and the audit page catch a payment, policy or claim row changed outside the
engine: each record is compared with the values the case's history last recorded for it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Connection, Engine, delete, insert, select, update

from models import AuditEvent, Claim, Payment, Policy
from services import audit_verify
from services.replay import replay_case
from tests.support import flows
from tests.support.audit import accepted_case, tamper
from tests.support.auth import signed_in_client

PAYOUT = {"method": "bank_transfer", "paid_on": "2026-11-25", "reference": "PAY-REF-1"}
INVESTIGATION = {"cause_confirmed": True, "extent_of_loss": "Hospital stay of 5 days",
                 "fraud_indicators": [], "findings": "Consistent with records",
                 "recommendation": "continue"}


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _claim(uow, policy_number: str, amount: str) -> int:  # type: ignore[no-untyped-def]
    return flows.start(uow, "claims", {
        "policy_number": policy_number, "loss_date": "2026-11-25", "cause": "accident",
        "description": "Fell from a ladder", "amount_claimed": amount})


def _paid_claim(uow, policy_number: str) -> int:  # type: ignore[no-untyped-def]
    case_id = _claim(uow, policy_number, "8000.00")
    flows.complete(uow, case_id, "investigate_claim", INVESTIGATION, actor="ch1")
    flows.complete(uow, case_id, "assess_loss",
                   {"amount_to_pay": "8000.00", "rationale": "Full amount"}, actor="ch1")
    flows.complete(uow, case_id, "approve_claim_handler", {"decision": "approve",
                                                           "comment": "ok"})
    view = flows.complete(uow, case_id, "pay_claim_task", PAYOUT, actor="fin1")
    assert view.case.status == "completed"
    return case_id


@pytest.fixture
def cases(app: Flask, uow) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An issued policy (new business), a paid claim and a rejected claim on it."""
    policy_case = accepted_case(uow)
    policy_number = str(flows.show(uow, policy_case).data["issuance"]["policy_number"])
    paid = _paid_claim(uow, policy_number)
    rejected = _claim(uow, policy_number, "900000.00")  # above the sum insured
    return {"policy_case": policy_case, "policy_number": policy_number, "paid": paid,
            "rejected": rejected, "claim_number": flows.show(uow, rejected).case.business_key}


def _change(engine: Engine, change: Callable[[Connection], Any]) -> None:
    with engine.begin() as conn:
        change(conn)


def _check(uow, case_id: int) -> audit_verify.CaseCheck:  # type: ignore[no-untyped-def]
    with uow() as work:
        return audit_verify.verify_case(work.session, case_id)


def test_records_a_handler_writes_are_in_its_service_called_event(
        cases: dict[str, Any], uow) -> None:  # type: ignore[no-untyped-def]
    with uow() as work:
        payloads = work.session.scalars(select(AuditEvent.payload).where(
            AuditEvent.case_id == cases["policy_case"], AuditEvent.kind == "service_called"
        ).order_by(AuditEvent.seq)).all()
        policy = work.session.scalars(select(Policy)).one()
    recorded = {(r["table"], r["id"]): r["values"] for p in payloads for r in p.get("records", [])}
    assert set(recorded) >= {("policy", policy.id), ("payment", 1)}
    values = recorded[("policy", policy.id)]
    assert values["policy_number"] == cases["policy_number"]
    assert values["status"] == "in_force"  # the last write recorded: the receipt confirmed
    assert values["annual_premium"] == {"$type": "decimal", "value": str(policy.annual_premium)}


def test_untouched_cases_pass(app: Flask, cases: dict[str, Any], uow) -> None:  # type: ignore[no-untyped-def]
    for case_id in (cases["policy_case"], cases["paid"], cases["rejected"]):
        check = _check(uow, case_id)
        assert check.sound and check.records_compared >= 1, check.sentence()
        with uow() as work:  # replay hands the recorded records back: it still matches
            report = replay_case(work.session, case_id)
        assert report.matches, report.differences
    every = _run(app, "audit", "verify", "--all")
    assert every.exit_code == 0, every.output
    assert "compared 5 business records with their history" in every.output
    assert every.output.strip().endswith(
        "every business record matches its history\nevery history is intact")
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{cases['paid']}").get_data(
        as_text=True)
    assert "Business records match." in page and "changed outside the engine" not in page


def test_a_payment_amount_edited_in_sql_is_named(app: Flask, cases: dict[str, Any], uow,
                                                db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _change(db_engine, lambda conn: conn.execute(
        update(Payment).where(Payment.direction == "in").values(amount=Decimal("0.01"))))
    case_id = cases["policy_case"]
    one = _run(app, "audit", "verify", str(case_id))
    assert one.exit_code == 1
    lines = one.output.strip().splitlines()
    assert lines[0].endswith("events, intact; 1 business record difference from the history")
    assert lines[1:] == ["  payment PAY-000001 (id 1): amount is 0.01 in the database, but "
                         "the history recorded 450.00"]
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert "Business records changed outside the engine." in page
    assert "payment PAY-000001 (id 1)" in page and "<code>amount</code>" in page
    assert "<td>450.00</td><td>0.01</td>" in page
    assert "History intact." in page  # the chain itself was not touched
    assert _run(app, "audit", "verify", str(cases["paid"])).exit_code == 0


def test_a_policy_status_edited_in_sql_is_named(app: Flask, cases: dict[str, Any], uow,
                                               db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _change(db_engine, lambda conn: conn.execute(update(Policy).values(status="lapsed")))
    one = _run(app, "audit", "verify", str(cases["policy_case"]))
    assert one.exit_code == 1
    assert f"policy {cases['policy_number']} (id 1): status is \"lapsed\" in the database, " \
           "but the history recorded \"in_force\"" in one.output
    report = signed_in_client(app, "aud1").get(
        f"/audit/cases/{cases['policy_case']}/report").get_data(as_text=True)
    assert "<code>status</code>" in report and "&#34;lapsed&#34;" in report


def test_a_deleted_claim_row_is_named_and_counted_by_all(
        app: Flask, cases: dict[str, Any], uow, db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    number = cases["claim_number"]
    _change(db_engine, lambda conn: conn.execute(delete(Claim).where(
        Claim.claim_number == number)))
    one = _run(app, "audit", "verify", str(cases["rejected"]))
    assert one.exit_code == 1
    assert f"  claim {number} (id 2) is missing from the database; the history recorded " \
           "it" in one.output
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{cases['rejected']}").get_data(
        as_text=True)
    assert f"claim {number} (id 2)" in page and "record missing" in page
    every = _run(app, "audit", "verify", "--all")
    assert every.exit_code == 1
    lines = every.output.strip().splitlines()
    assert lines[-2:] == ["0 altered histories; 1 business record difference in 1 case",
                          "1 of 3 cases have problems"]


def test_a_payment_slipped_in_by_sql_is_named_as_extra(
        app: Flask, cases: dict[str, Any], uow, db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with uow() as work:
        policy_id = work.session.scalars(select(Policy.id)).one()
    # Read before the change: on SQLite a second writer would wait for the change's own lock.
    paid_on = flows.show(uow, cases["policy_case"]).case.created_at.date()
    _change(db_engine, lambda conn: conn.execute(insert(Payment).values(
        payment_number="PAY-999999", direction="out", method="cheque", amount=Decimal("5000"),
        paid_on=paid_on, policy_id=policy_id, idempotency_key="forged")))
    one = _run(app, "audit", "verify", str(cases["policy_case"]))
    assert one.exit_code == 1
    assert "payment PAY-999999 (id 3) is linked to this case's records but no step of the " \
           "case wrote it" in one.output
    assert _run(app, "audit", "verify", str(cases["paid"])).exit_code == 0


def test_a_record_changed_and_its_history_rewritten_is_caught_by_the_chain(
        app: Flask, cases: dict[str, Any], uow, db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Changing the row and every value recorded for it alike hides the row's change, but not
    the history's: the first rewritten event no longer matches its hash."""
    case_id = cases["policy_case"]
    with uow() as work:
        events = work.session.execute(select(AuditEvent.seq, AuditEvent.payload).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == "service_called")
            .order_by(AuditEvent.seq)).all()
    rewritten = {}
    for seq, payload in events:
        for record in payload.get("records", []):
            if (record["table"], record["id"]) == ("payment", 1):
                record["values"]["amount"] = {"$type": "decimal", "value": "0.01"}
                rewritten[seq] = payload
    assert len(rewritten) == 2  # booked with the premium, linked to the policy on issue

    def forge(conn: Connection) -> None:
        conn.execute(update(Payment).values(amount=Decimal("0.01")).where(Payment.id == 1))
        for seq, payload in rewritten.items():
            conn.execute(update(AuditEvent).where(AuditEvent.case_id == case_id,
                                                  AuditEvent.seq == seq).values(payload=payload))
    tamper(db_engine, forge)
    check = _check(uow, case_id)
    assert check.records == ()  # the rows agree with the rewritten history...
    assert check.problem is not None and check.problem.seq == min(rewritten)  # ...the chain not
    assert _run(app, "audit", "verify", str(case_id)).exit_code == 1
