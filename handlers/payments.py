"""Money movements: premiums in and claim payouts out.

Every payment carries the task's idempotency key (unique in the table), so a service task
that is retried after a crash finds the payment it already made instead of paying twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from models import Application, Payment, Product

from .numbers import next_number
from .records import Record, application_row, first_row, note_written, update_record
from .registry import HandlerContext, HandlerError, handler
from .values import CENT, one_of, required, to_date, to_money, to_text

PREMIUM_METHODS = ("online", "bank_transfer", "agent_collection", "counter")

# What a payment step reports; read back for a retry, returned by the insert for a new one.
_PAYMENT_FIELDS = (Payment.payment_number, Payment.direction, Payment.method, Payment.amount,
                   Payment.paid_on, Payment.reference)
PAYMENT_BY_KEY = select(*_PAYMENT_FIELDS).where(Payment.idempotency_key == bindparam("key"))
_ADD_PAYMENT = insert(Payment).returning(Payment.id, *_PAYMENT_FIELDS)
# An application with its product's rate, for the premium due (rate None: not sold).
APPLICATION_PREMIUM = (
    select(Application.id, Application.sum_insured, Product.rate_per_thousand)
    .outerjoin(Product, Product.code == Application.product_code)
    .where(Application.application_number == bindparam("number"))
)


@dataclass(frozen=True)
class PaymentLinks:
    """The records a payment belongs to (at least one is set)."""

    application_id: int | None = None
    policy_id: int | None = None
    claim_id: int | None = None


def find_payment(connection: Connection, idempotency_key: str) -> Record | None:
    """The payment an earlier attempt of the same task already recorded, if any."""
    return first_row(connection, PAYMENT_BY_KEY, {"key": idempotency_key})


def annual_premium(sum_insured: Decimal, rate_per_thousand: Decimal, loading: Decimal) -> Decimal:
    """Premium = sum insured / 1000 x rate x (1 + loading %), rounded half-up to cents."""
    premium = sum_insured / 1000 * rate_per_thousand * (1 + loading / 100)
    return premium.quantize(CENT, rounding=ROUND_HALF_UP)


def first_premium_due(sum_insured: Decimal, rate_per_thousand: Decimal | None) -> Decimal | None:
    """The tariff premium, taken before underwriting and so without a loading; None when no
    premium can be due (a product not sold, no positive sum insured)."""
    if rate_per_thousand is None or sum_insured <= 0:
        return None
    return annual_premium(sum_insured, rate_per_thousand, Decimal(0))


def check_premium(amount: Decimal, due: Decimal | None) -> Decimal:
    """A short or over payment is not booked: the first premium must be the premium due."""
    if due is not None and amount != due:
        raise HandlerError(f"The first premium {amount} is not the premium due {due}.")
    return amount


def check_paid_on(paid_on: date, today: date) -> date:
    """A payment cannot be booked for a day that has not happened yet."""
    if paid_on > today:
        raise HandlerError(f"The payment date {paid_on.isoformat()} is in the future.")
    return paid_on


def add_payment(
    ctx: HandlerContext,
    direction: str,
    method: str,
    amount: Decimal,
    paid_on: date,
    reference: str,
    links: PaymentLinks,
) -> Record:
    """Insert a payment keyed by the task's idempotency key (callers check first); returns
    the fields `payment_result` reports."""
    payment = ctx.connection.execute(_ADD_PAYMENT, {
        "payment_number": next_number(ctx.connection, "PAY"),
        "direction": direction,
        "method": method,
        "amount": amount,
        "paid_on": paid_on,
        "reference": reference or None,
        "application_id": links.application_id,
        "policy_id": links.policy_id,
        "claim_id": links.claim_id,
        "idempotency_key": ctx.idempotency_key,
    }).one()
    note_written(Payment, payment.id)
    return payment


def payment_result(payment: Record) -> dict[str, Any]:
    """What a payment step stores in the case data."""
    return {
        "payment_number": payment.payment_number,
        "direction": payment.direction,
        "method": payment.method,
        "amount": payment.amount,
        "paid_on": payment.paid_on,
        "reference": payment.reference,
    }


@handler("payments.record_premium", orm=False)
def record_premium(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Book the first premium of an application (money in).

    Params: application_number, method, amount, paid_on, reference (may be empty).
    """
    existing = find_payment(ctx.connection, ctx.idempotency_key)
    if existing is not None:
        return payment_result(existing)
    application = application_row(ctx.connection, APPLICATION_PREMIUM,
                                  required(params, "application_number"))
    amount = to_money(required(params, "amount"), "amount")
    payment = add_payment(
        ctx,
        direction="in",
        method=one_of(required(params, "method"), PREMIUM_METHODS, "payment method"),
        amount=check_premium(amount, first_premium_due(application.sum_insured,
                                                       application.rate_per_thousand)),
        paid_on=check_paid_on(to_date(required(params, "paid_on"), "paid_on"), ctx.today),
        reference=to_text(params.get("reference")),
        links=PaymentLinks(application_id=application.id),
    )
    update_record(ctx.connection, Application, application.id, status="premium_paid")
    return payment_result(payment)
