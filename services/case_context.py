"""What a clerk needs to know about a case beside its task form: the customer, the
application, policy or claim it is about, and the decisions taken so far (and by whom)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Application, AuditEvent, Case, Claim, Customer, Policy

from .history import HistoryLine, describe

Facts = list[tuple[str, str]]
DECISION_KINDS = ("task_completed", "decision_evaluated")


@dataclass
class CaseContext:
    sections: list[tuple[str, Facts]] = field(default_factory=list)
    decisions: list[HistoryLine] = field(default_factory=list)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "\u2014"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value).replace("_", " ")


def _customer(customer: Customer) -> tuple[str, Facts]:
    return ("Customer", [("Name", customer.full_name), ("Customer number",
             customer.customer_number), ("Date of birth", _show(customer.date_of_birth)),
             ("Phone", _show(customer.phone)), ("Email", _show(customer.email)),
             ("Verified", _show(customer.verified_at))])


def _application(app: Application) -> tuple[str, Facts]:
    return ("Application", [
        ("Application number", app.application_number), ("Product", app.product_code),
        ("Sum insured", _show(app.sum_insured)), ("Channel", _show(app.channel)),
        ("Occupation", f"{app.occupation} ({_show(app.occupation_class)})"),
        ("Smoker", _show(app.smoker)), ("Hazardous hobbies", _show(app.hazardous_hobbies)),
        ("Health declaration", _show((app.health_declaration or {}).get("conditions"))),
        ("Status", _show(app.status)), ("Risk class", _show(app.risk_class)),
        ("Loading %", _show(app.loading_percent)), ("Decision reason", _show(app.decision_reason))])


def _policy(policy: Policy) -> tuple[str, Facts]:
    return ("Policy", [
        ("Policy number", policy.policy_number), ("Status", _show(policy.status)),
        ("Annual premium", _show(policy.annual_premium)),
        ("Sum insured", _show(policy.sum_insured)),
        ("Effective", f"{_show(policy.effective_date)} to {_show(policy.expiry_date)}"),
        ("Delivery", f"{_show(policy.delivery_method)} {_show(policy.delivered_on)}")])


def _claim(claim: Claim) -> tuple[str, Facts]:
    return ("Claim", [
        ("Claim number", claim.claim_number), ("Policy number", claim.policy_number),
        ("Loss date", _show(claim.loss_date)), ("Cause", _show(claim.cause)),
        ("Description", claim.description), ("Amount claimed", _show(claim.amount_claimed)),
        ("Fraud indicators", _show(claim.fraud_indicators)),
        ("Assessed amount", _show(claim.assessed_amount)), ("Status", _show(claim.status))])


def _records(session: Session, key: str) -> list[tuple[str, Facts]]:
    """The domain records behind a business key (APP-..., CLM-...)."""
    if key.startswith("APP-"):
        app = session.scalar(select(Application).where(Application.application_number == key))
        if app is None:
            return []
        policy = session.scalar(select(Policy).where(Policy.application_id == app.id))
        customer = session.get(Customer, app.customer_id)
        found = [_customer(customer)] if customer else []
        return found + [_application(app)] + ([_policy(policy)] if policy else [])
    claim = session.scalar(select(Claim).where(Claim.claim_number == key))
    if claim is None:
        return []
    policy = session.get(Policy, claim.policy_id) if claim.policy_id else None
    customer = session.get(Customer, policy.customer_id) if policy else None
    return ([_customer(customer)] if customer else []) + [_claim(claim)] + (
        [_policy(policy)] if policy else [])


def case_context(session: Session, case: Case) -> CaseContext:
    sections = _records(session, case.business_key) if case.business_key else []
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.seq))
    lines = describe(events, case.process_id)
    decisions = [line for line in lines if line.kind in DECISION_KINDS]
    return CaseContext(sections, decisions)
