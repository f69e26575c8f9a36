"""Handlers of the claims process: intake, coverage, investigation, assessment, payout.

Claims cost is controlled here as well as in the diagram: coverage is checked against the
policy, the assessed amount can never exceed the claim, payouts require an approval, and
every rejection is stored with its reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import Claim, Customer, Policy

from .numbers import next_number
from .payments import PaymentLinks, add_payment, check_paid_on, find_payment, payment_result
from .records import POLICY_BY_NUMBER
from .registry import HandlerContext, HandlerError, handler
from .values import one_of, required, required_text, to_bool, to_date, to_money, to_text

CAUSES = (
    "accident",
    "illness",
    "death",
    "fire",
    "theft",
    "water_damage",
    "natural_disaster",
    "other",
)
FRAUD_INDICATORS = (
    "late_reporting",
    "inconsistent_statements",
    "prior_claims",
    "suspicious_documents",
)
DOCUMENT_KINDS = (
    "claim_form",
    "police_report",
    "medical_report",
    "invoice",
    "photos",
    "death_certificate",
    "other",
)
APPROVER_ROLES = ("claims_handler", "senior_claims_handler", "claims_manager")
PAYOUT_METHODS = ("bank_transfer", "cheque")
CLOSED_STATUSES = ("rejected", "paid")

# Built once; each call fills in the values (building them per call cost more than running).
CLAIM_BY_NUMBER = select(Claim).where(Claim.claim_number == bindparam("number"))


def get_claim(session: Session, number: Any, *, open_only: bool = True) -> Claim:
    """Load a claim by number; closed claims cannot be worked on any more."""
    claim = session.execute(CLAIM_BY_NUMBER, {"number": to_text(number)}).scalar_one_or_none()
    if claim is None:
        raise HandlerError(f"Claim {to_text(number)} does not exist.")
    if open_only and claim.status in CLOSED_STATUSES:
        raise HandlerError(f"Claim {claim.claim_number} is already closed ({claim.status}).")
    return claim


def _retried_claim(ctx: HandlerContext) -> Claim | None:
    """On a retry the case already carries the claim number: do not register twice."""
    if not ctx.business_key:
        return None
    return ctx.session.execute(CLAIM_BY_NUMBER, {"number": ctx.business_key}).scalar_one_or_none()


def _claim_summary(claim: Claim) -> dict[str, Any]:
    return {
        "claim_number": claim.claim_number,
        "policy_number": claim.policy_number,
        "amount_claimed": claim.amount_claimed,
        "status": claim.status,
    }


@handler("claims.register_claim")
def register_claim(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Register the claim as submitted; coverage is judged in the next step, not here.

    Params: policy_number, loss_date, cause, description, amount_claimed.
    """
    claim = _retried_claim(ctx)
    if claim is not None:
        return _claim_summary(claim)
    policy_number = required_text(params, "policy_number")
    policy = ctx.session.execute(POLICY_BY_NUMBER, {"number": policy_number}).scalar_one_or_none()
    claim = Claim(
        claim_number=next_number(ctx.session, "CLM"),
        policy_id=policy.id if policy is not None else None,
        policy_number=policy_number,
        loss_date=to_date(required(params, "loss_date"), "loss_date"),
        cause=one_of(required(params, "cause"), CAUSES, "cause"),
        description=required_text(params, "description"),
        amount_claimed=to_money(required(params, "amount_claimed"), "amount_claimed"),
        status="registered",
        fraud_indicators=[],
        created_at=ctx.now,
    )
    ctx.session.add(claim)
    ctx.set_business_key(claim.claim_number)
    if policy is not None:
        customer = ctx.session.get(Customer, policy.customer_id)
        if customer is not None:
            ctx.set_customer_name(customer.full_name)
    return _claim_summary(claim)


def _coverage_gap(claim: Claim, policy: Policy | None, today: date) -> str | None:
    """The first reason the policy does not cover this loss, or None when it does."""
    if policy is None:
        return f"Policy {claim.policy_number} does not exist."
    if policy.status != "in_force":
        return f"Policy {policy.policy_number} is not in force (status {policy.status})."
    if claim.loss_date > today:
        return f"The loss date {claim.loss_date.isoformat()} is in the future."
    if not policy.effective_date <= claim.loss_date <= policy.expiry_date:
        return (
            f"The loss date {claim.loss_date.isoformat()} is outside the cover period "
            f"{policy.effective_date.isoformat()} to {policy.expiry_date.isoformat()}."
        )
    if claim.amount_claimed > policy.sum_insured:
        return (
            f"The amount claimed {claim.amount_claimed} exceeds the sum insured "
            f"{policy.sum_insured}."
        )
    return None


@handler("claims.check_coverage")
def check_coverage(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Decide whether the policy covers the loss at all, before anyone investigates.

    Params: claim_number. Returns covered (bool) and reason (one sentence).
    """
    claim = get_claim(ctx.session, required(params, "claim_number"))
    policy = ctx.session.get(Policy, claim.policy_id) if claim.policy_id else None
    gap = _coverage_gap(claim, policy, ctx.today)
    claim.status = "covered" if gap is None else "not_covered"
    reason = gap or f"Policy {claim.policy_number} was in force on the loss date."
    return {"claim_number": claim.claim_number, "covered": gap is None, "reason": reason}


@handler("claims.reject_claim")
def reject_claim(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Close the claim as rejected; the reason is mandatory because the customer gets it.

    Params: claim_number, reason.
    """
    claim = get_claim(ctx.session, required(params, "claim_number"))
    claim.rejection_reason = required_text(params, "reason")
    claim.status = "rejected"
    claim.closed_at = ctx.now
    return {
        "claim_number": claim.claim_number,
        "status": claim.status,
        "rejection_reason": claim.rejection_reason,
    }


def _documents(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple) or not value:
        raise HandlerError("The documents must be a non-empty list.")
    found = []
    for item in value:
        if not isinstance(item, dict):
            raise HandlerError("Each document must name its kind and reference.")
        found.append({"kind": one_of(required(item, "kind"), DOCUMENT_KINDS, "document kind"),
                      "reference": required_text(item, "reference")})
    return found


@handler("claims.record_documents")
def record_documents(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """File documents that arrived for the claim (from a message); a repeat files nothing twice.

    Params: claim_number, documents ([{"kind", "reference"}]).
    """
    claim = get_claim(ctx.session, required(params, "claim_number"))
    on_file = {(d.get("kind"), d.get("reference")) for d in claim.documents or []}
    new = [{**d, "received_at": ctx.now.isoformat()} for d in _documents(params.get("documents"))
           if (d["kind"], d["reference"]) not in on_file]
    claim.documents = [*(claim.documents or []), *new]  # a new list, so the change is saved
    return {"claim_number": claim.claim_number, "documents_added": len(new),
            "documents_on_file": len(claim.documents)}


def _fraud_indicators(value: Any) -> list[str]:
    """The indicators as a list of known codes, without duplicates, in form order."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise HandlerError("The fraud indicators must be a list.")
    found = [one_of(item, FRAUD_INDICATORS, "fraud indicator") for item in value]
    return list(dict.fromkeys(found))


@handler("claims.record_investigation")
def record_investigation(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Keep the investigator's findings on the claim; fraud indicators drive the authority.

    Params: claim_number, cause_confirmed, extent_of_loss, fraud_indicators, findings,
    recommendation (continue/reject).
    """
    claim = get_claim(ctx.session, required(params, "claim_number"))
    indicators = _fraud_indicators(params.get("fraud_indicators"))
    confirmed = to_bool(required(params, "cause_confirmed"), "cause_confirmed")
    recommendation = one_of(
        required(params, "recommendation"), ("continue", "reject"), "recommendation"
    )
    claim.fraud_indicators = indicators
    claim.investigation_findings = "\n".join(
        [
            f"Cause confirmed: {'yes' if confirmed else 'no'}.",
            f"Extent of loss: {required_text(params, 'extent_of_loss')}",
            f"Findings: {required_text(params, 'findings')}",
            f"Recommendation: {recommendation}.",
        ]
    )
    claim.status = "investigated"
    return {
        "claim_number": claim.claim_number,
        "fraud_indicator_count": len(indicators),
        "recommendation": recommendation,
    }


@handler("claims.record_assessment")
def record_assessment(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Fix the amount to pay; it can never be more than the customer claimed.

    Params: claim_number, amount_to_pay, rationale.
    """
    claim = get_claim(ctx.session, required(params, "claim_number"))
    amount = to_money(required(params, "amount_to_pay"), "amount_to_pay")
    if amount > claim.amount_claimed:
        raise HandlerError(
            f"The amount to pay {amount} exceeds the amount claimed {claim.amount_claimed}."
        )
    claim.assessed_amount = amount
    claim.status = "assessed"
    return {
        "claim_number": claim.claim_number,
        "assessed_amount": amount,
        "rationale": required_text(params, "rationale"),
    }


@handler("claims.record_approval")
def record_approval(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Record which authority level decided on the payout and what it decided.

    Params: claim_number, approver_role (from claim_authority), decision (approve/reject),
    comment. A rejection is closed by claims.reject_claim, which stores the reason.
    """
    claim = get_claim(ctx.session, required(params, "claim_number"))
    if claim.assessed_amount is None:
        raise HandlerError(f"Claim {claim.claim_number} has not been assessed.")
    claim.approver_role = one_of(required(params, "approver_role"), APPROVER_ROLES, "approver")
    decision = one_of(required(params, "decision"), ("approve", "reject"), "decision")
    if decision == "approve":
        claim.status = "approved"
    return {
        "claim_number": claim.claim_number,
        "approver_role": claim.approver_role,
        "decision": decision,
        "comment": to_text(params.get("comment")),
    }


@handler("claims.pay_claim")
def pay_claim(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Pay the assessed amount once (idempotent per task) and close the claim.

    Params: claim_number, method (bank_transfer/cheque), paid_on, reference.
    """
    existing = find_payment(ctx.session, ctx.idempotency_key)
    claim = get_claim(ctx.session, required(params, "claim_number"), open_only=existing is None)
    if existing is None:
        if claim.status != "approved" or claim.assessed_amount is None:
            raise HandlerError(f"Claim {claim.claim_number} is not approved for payment.")
        existing = add_payment(
            ctx,
            direction="out",
            method=one_of(required(params, "method"), PAYOUT_METHODS, "payout method"),
            amount=claim.assessed_amount,
            paid_on=check_paid_on(to_date(required(params, "paid_on"), "paid_on"), ctx.today),
            reference=to_text(params.get("reference")),
            links=PaymentLinks(policy_id=claim.policy_id, claim_id=claim.id),
        )
        claim.status = "paid"
        claim.closed_at = ctx.now
    return {**payment_result(existing), "claim_number": claim.claim_number, "status": claim.status}
