"""Handlers of the claims process: intake, coverage, investigation, assessment, payout.

Claims cost is controlled here as well as in the diagram: coverage is checked against the
policy, the assessed amount can never exceed the claim, payouts require an approval, and
every rejection is stored with its reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnExpressionArgument, Connection, Select, bindparam, select

from models import Claim, Customer, Policy

from .numbers import next_number
from .payments import PaymentLinks, add_payment, check_paid_on, find_payment, payment_result
from .records import Record, first_row, insert_record, update_record
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

_Row = TypeVar("_Row", bound=tuple[Any, ...])


def _claim_query(*columns: ColumnExpressionArgument[Any]) -> Select[Any]:
    """A claim by number (`:number`): its id, number and status, then `columns`."""
    return select(Claim.id, Claim.claim_number, Claim.status, *columns).where(
        Claim.claim_number == bindparam("number"))


# The handlers' queries, built once (see handlers.records); each call fills in the values.
CLAIM_BY_NUMBER = _claim_query()
# What register_claim reports, read back when a retry finds the claim already registered.
CLAIM_SUMMARY = select(
    Claim.claim_number, Claim.policy_number, Claim.amount_claimed, Claim.status,
).where(Claim.claim_number == bindparam("number"))
# A claim with the policy it was made on (covering_policy None when there is no such policy).
CLAIM_WITH_POLICY = _claim_query(
    Claim.policy_number, Claim.loss_date, Claim.amount_claimed,
    Policy.policy_number.label("covering_policy"), Policy.status.label("policy_status"),
    Policy.effective_date, Policy.expiry_date, Policy.sum_insured,
).outerjoin(Policy, Policy.id == Claim.policy_id)
CLAIM_DOCUMENTS = _claim_query(Claim.documents)
CLAIM_FOR_ASSESSMENT = _claim_query(Claim.amount_claimed)
CLAIM_FOR_APPROVAL = _claim_query(Claim.assessed_amount)
CLAIM_FOR_PAYMENT = _claim_query(Claim.assessed_amount, Claim.policy_id)
# The policy a claim is registered on, with its customer's name for the case.
POLICY_FOR_CLAIM = (
    select(Policy.id, Customer.full_name)
    .outerjoin(Customer, Customer.id == Policy.customer_id)
    .where(Policy.policy_number == bindparam("number"))
)


def claim_row(connection: Connection, stmt: Select[Any], number: Any, *,
              open_only: bool = True) -> Record:
    """Run a claim query (`:number`; it reads claim_number and status); closed claims cannot
    be worked on any more."""
    claim = first_row(connection, stmt, {"number": to_text(number)})
    if claim is None:
        raise HandlerError(f"Claim {to_text(number)} does not exist.")
    if open_only and claim.status in CLOSED_STATUSES:
        raise HandlerError(f"Claim {claim.claim_number} is already closed ({claim.status}).")
    return claim


def get_claim(connection: Connection, number: Any, *, open_only: bool = True) -> Record:
    """A claim's id, number and status, by number."""
    return claim_row(connection, CLAIM_BY_NUMBER, number, open_only=open_only)


def _retried_claim(ctx: HandlerContext) -> Record | None:
    """On a retry the case already carries the claim number: do not register twice."""
    if not ctx.business_key:
        return None
    return first_row(ctx.connection, CLAIM_SUMMARY, {"number": ctx.business_key})


def _claim_summary(claim: Record) -> dict[str, Any]:
    return {
        "claim_number": claim.claim_number,
        "policy_number": claim.policy_number,
        "amount_claimed": claim.amount_claimed,
        "status": claim.status,
    }


@handler("claims.register_claim", orm=False)
def register_claim(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Register the claim as submitted; coverage is judged in the next step, not here.

    Params: policy_number, loss_date, cause, description, amount_claimed.
    """
    retried = _retried_claim(ctx)
    if retried is not None:
        return _claim_summary(retried)
    policy_number = required_text(params, "policy_number")
    policy = first_row(ctx.connection, POLICY_FOR_CLAIM, {"number": policy_number})
    loss_date = to_date(required(params, "loss_date"), "loss_date")
    cause = one_of(required(params, "cause"), CAUSES, "cause")
    description = required_text(params, "description")
    amount_claimed = to_money(required(params, "amount_claimed"), "amount_claimed")
    claim_number = next_number(ctx.connection, "CLM")
    insert_record(
        ctx.connection,
        Claim,
        claim_number=claim_number,
        policy_id=policy.id if policy is not None else None,
        policy_number=policy_number,
        loss_date=loss_date,
        cause=cause,
        description=description,
        amount_claimed=amount_claimed,
        status="registered",
        fraud_indicators=[],
        documents=[],
        created_at=ctx.now,
    )
    ctx.set_business_key(claim_number)
    if policy is not None and policy.full_name is not None:
        ctx.set_customer_name(policy.full_name)
    return {
        "claim_number": claim_number,
        "policy_number": policy_number,
        "amount_claimed": amount_claimed,
        "status": "registered",
    }


def _coverage_gap(claim: Record, today: date) -> str | None:
    """The first reason the policy does not cover this loss, or None when it does (`claim` is
    a row of CLAIM_WITH_POLICY)."""
    if claim.covering_policy is None:
        return f"Policy {claim.policy_number} does not exist."
    if claim.policy_status != "in_force":
        return f"Policy {claim.covering_policy} is not in force (status {claim.policy_status})."
    if claim.loss_date > today:
        return f"The loss date {claim.loss_date.isoformat()} is in the future."
    if not claim.effective_date <= claim.loss_date <= claim.expiry_date:
        return (
            f"The loss date {claim.loss_date.isoformat()} is outside the cover period "
            f"{claim.effective_date.isoformat()} to {claim.expiry_date.isoformat()}."
        )
    if claim.amount_claimed > claim.sum_insured:
        return (
            f"The amount claimed {claim.amount_claimed} exceeds the sum insured "
            f"{claim.sum_insured}."
        )
    return None


@handler("claims.check_coverage", orm=False)
def check_coverage(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Decide whether the policy covers the loss at all, before anyone investigates.

    Params: claim_number. Returns covered (bool) and reason (one sentence).
    """
    claim = claim_row(ctx.connection, CLAIM_WITH_POLICY, required(params, "claim_number"))
    gap = _coverage_gap(claim, ctx.today)
    update_record(ctx.connection, Claim, claim.id,
                  status="covered" if gap is None else "not_covered")
    reason = gap or f"Policy {claim.policy_number} was in force on the loss date."
    return {"claim_number": claim.claim_number, "covered": gap is None, "reason": reason}


@handler("claims.reject_claim", orm=False)
def reject_claim(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Close the claim as rejected; the reason is mandatory because the customer gets it.

    Params: claim_number, reason.
    """
    claim = get_claim(ctx.connection, required(params, "claim_number"))
    reason = required_text(params, "reason")
    update_record(ctx.connection, Claim, claim.id, rejection_reason=reason, status="rejected",
                  closed_at=ctx.now)
    return {
        "claim_number": claim.claim_number,
        "status": "rejected",
        "rejection_reason": reason,
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


@handler("claims.record_documents", orm=False)
def record_documents(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """File documents that arrived for the claim (from a message); a repeat files nothing twice.

    Params: claim_number, documents ([{"kind", "reference"}]).
    """
    claim = claim_row(ctx.connection, CLAIM_DOCUMENTS, required(params, "claim_number"))
    filed = list(claim.documents or [])
    on_file = {(d.get("kind"), d.get("reference")) for d in filed}
    new = [{**d, "received_at": ctx.now.isoformat()} for d in _documents(params.get("documents"))
           if (d["kind"], d["reference"]) not in on_file]
    documents = [*filed, *new]
    update_record(ctx.connection, Claim, claim.id, documents=documents)
    return {"claim_number": claim.claim_number, "documents_added": len(new),
            "documents_on_file": len(documents)}


def _fraud_indicators(value: Any) -> list[str]:
    """The indicators as a list of known codes, without duplicates, in form order."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise HandlerError("The fraud indicators must be a list.")
    found = [one_of(item, FRAUD_INDICATORS, "fraud indicator") for item in value]
    return list(dict.fromkeys(found))


@handler("claims.record_investigation", orm=False)
def record_investigation(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Keep the investigator's findings on the claim; fraud indicators drive the authority.

    Params: claim_number, cause_confirmed, extent_of_loss, fraud_indicators, findings,
    recommendation (continue/reject).
    """
    claim = get_claim(ctx.connection, required(params, "claim_number"))
    indicators = _fraud_indicators(params.get("fraud_indicators"))
    confirmed = to_bool(required(params, "cause_confirmed"), "cause_confirmed")
    recommendation = one_of(
        required(params, "recommendation"), ("continue", "reject"), "recommendation"
    )
    findings = "\n".join(
        [
            f"Cause confirmed: {'yes' if confirmed else 'no'}.",
            f"Extent of loss: {required_text(params, 'extent_of_loss')}",
            f"Findings: {required_text(params, 'findings')}",
            f"Recommendation: {recommendation}.",
        ]
    )
    update_record(ctx.connection, Claim, claim.id, fraud_indicators=indicators,
                  investigation_findings=findings, status="investigated")
    return {
        "claim_number": claim.claim_number,
        "fraud_indicator_count": len(indicators),
        "recommendation": recommendation,
    }


@handler("claims.record_assessment", orm=False)
def record_assessment(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Fix the amount to pay; it can never be more than the customer claimed.

    Params: claim_number, amount_to_pay, rationale.
    """
    claim = claim_row(ctx.connection, CLAIM_FOR_ASSESSMENT, required(params, "claim_number"))
    amount = to_money(required(params, "amount_to_pay"), "amount_to_pay")
    if amount > claim.amount_claimed:
        raise HandlerError(
            f"The amount to pay {amount} exceeds the amount claimed {claim.amount_claimed}."
        )
    rationale = required_text(params, "rationale")
    update_record(ctx.connection, Claim, claim.id, assessed_amount=amount, status="assessed")
    return {
        "claim_number": claim.claim_number,
        "assessed_amount": amount,
        "rationale": rationale,
    }


@handler("claims.record_approval", orm=False)
def record_approval(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Record which authority level decided on the payout and what it decided.

    Params: claim_number, approver_role (from claim_authority), decision (approve/reject),
    comment. A rejection is closed by claims.reject_claim, which stores the reason.
    """
    claim = claim_row(ctx.connection, CLAIM_FOR_APPROVAL, required(params, "claim_number"))
    if claim.assessed_amount is None:
        raise HandlerError(f"Claim {claim.claim_number} has not been assessed.")
    approver_role = one_of(required(params, "approver_role"), APPROVER_ROLES, "approver")
    decision = one_of(required(params, "decision"), ("approve", "reject"), "decision")
    values: dict[str, Any] = {"approver_role": approver_role}
    if decision == "approve":
        values["status"] = "approved"
    update_record(ctx.connection, Claim, claim.id, **values)
    return {
        "claim_number": claim.claim_number,
        "approver_role": approver_role,
        "decision": decision,
        "comment": to_text(params.get("comment")),
    }


@handler("claims.pay_claim", orm=False)
def pay_claim(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Pay the assessed amount once (idempotent per task) and close the claim.

    Params: claim_number, method (bank_transfer/cheque), paid_on, reference.
    """
    existing = find_payment(ctx.connection, ctx.idempotency_key)
    claim = claim_row(ctx.connection, CLAIM_FOR_PAYMENT, required(params, "claim_number"),
                      open_only=existing is None)
    status = claim.status
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
        status = "paid"
        update_record(ctx.connection, Claim, claim.id, status=status, closed_at=ctx.now)
    return {**payment_result(existing), "claim_number": claim.claim_number, "status": status}
