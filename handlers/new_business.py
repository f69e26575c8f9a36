"""Handlers of the new business process: application, verification, underwriting, issuance.

The database rows are the record of the business; the case data only carries what the
process needs to route (numbers, the verification verdict, the underwriting decision).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select

from models import Application, Customer, Payment, Policy, Product
from models.direct import DirectStatement

from .numbers import next_number
from .payments import annual_premium, first_premium_due
from .records import (
    APPLICATION_BY_NUMBER,
    Record,
    application_row,
    first_row,
    get_application,
    get_policy,
    insert_record,
    note_written,
    update_record,
)
from .registry import HandlerContext, HandlerError, handler
from .values import (
    add_years,
    age_on,
    one_of,
    required,
    required_text,
    to_bool,
    to_date,
    to_decimal,
    to_int,
    to_text,
)

CHANNELS = ("agent", "bancassurance", "online", "direct")
OCCUPATION_CLASSES = ("office", "manual", "hazardous")
HEALTH_CONDITIONS = ("none", "minor", "major")
FINAL_DECISIONS = ("accept", "accept_with_loading", "decline")
DELIVERY_METHODS = ("mail", "in_person")
MIN_AGE, MAX_AGE = 18, 75
MAX_LOADING_PERCENT = 300
# Statuses in which the applicant's data may still be corrected.
EDITABLE_STATUSES = ("registered", "incomplete", "verified")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The handlers' queries, built once (see handlers.records); each call fills in the values.
# An application with its customer file and product, for the checks that need all three.
# The customer always exists (a foreign key); a missing product (sold_code None) is not sold.
APPLICATION_FILE = (
    select(
        Application.id, Application.application_number, Application.product_code,
        Application.sum_insured, Application.consent, Application.health_declaration,
        Application.occupation, Application.customer_id, Customer.date_of_birth,
        Customer.phone, Customer.email, Customer.address, Product.code.label("sold_code"),
        Product.name.label("product_name"), Product.max_sum_insured,
        Product.rate_per_thousand,
    )
    .join(Customer, Customer.id == Application.customer_id)
    .outerjoin(Product, Product.code == Application.product_code)
    .where(Application.application_number == bindparam("number"))
)
# An application with the policy already issued for it (policy_number None if none yet) and
# its product.
APPLICATION_FOR_ISSUE = (
    select(
        Application.id, Application.application_number, Application.status,
        Application.risk_class, Application.customer_id, Application.product_code,
        Application.sum_insured, Application.loading_percent, Policy.policy_number,
        Policy.annual_premium, Policy.effective_date, Policy.expiry_date,
        Policy.status.label("policy_status"), Product.code.label("sold_code"),
        Product.rate_per_thousand, Product.term_years,
    )
    .outerjoin(Policy, Policy.application_id == Application.id)
    .outerjoin(Product, Product.code == Application.product_code)
    .where(Application.application_number == bindparam("number"))
)
# Premiums paid for an application before its policy existed move to the policy.
LINK_PAYMENTS = DirectStatement(
    Payment.__table__.update()  # type: ignore[attr-defined]
    .where(Payment.application_id == bindparam("paid_for"), Payment.policy_id.is_(None))
    .values(policy_id=bindparam("new_policy_id"))
    .returning(Payment.id)
)
POLICY_ID_OF_APPLICATION = select(Policy.id).where(
    Policy.application_id == bindparam("application_id")
)
PRODUCT_BY_CODE = select(Product.code).where(Product.code == bindparam("code"))
CUSTOMER_BY_ID_NUMBER = select(
    Customer.id, Customer.customer_number, Customer.full_name, Customer.date_of_birth,
    Customer.phone, Customer.email, Customer.address,
).where(Customer.id_number == bindparam("id_number"))


@dataclass(frozen=True)
class Registered:
    """The customer file an application was registered for."""

    customer_id: int
    customer_number: str
    full_name: str


@dataclass(frozen=True)
class ApplicationData:
    """The application form, checked for type and enumerations (not for plausibility)."""

    full_name: str
    date_of_birth: date
    id_number: str
    phone: str
    email: str
    address: str
    product_code: str
    sum_insured: Decimal
    channel: str
    occupation: str
    occupation_class: str
    smoker: bool
    hazardous_hobbies: bool
    health_conditions: str
    health_details: str
    consent: bool

    @classmethod
    def from_params(cls, p: dict[str, Any]) -> ApplicationData:
        """Read the form fields from service-task parameters (Decimal/date or strings)."""
        return cls(
            full_name=required_text(p, "full_name"),
            date_of_birth=to_date(required(p, "date_of_birth"), "date_of_birth"),
            id_number=required_text(p, "id_number"),
            phone=to_text(p.get("phone")),
            email=to_text(p.get("email")),
            address=to_text(p.get("address")),
            product_code=to_text(required(p, "product_code")),
            sum_insured=to_decimal(required(p, "sum_insured"), "sum_insured"),
            channel=one_of(required(p, "channel"), CHANNELS, "channel"),
            occupation=to_text(p.get("occupation")),
            occupation_class=one_of(
                required(p, "occupation_class"), OCCUPATION_CLASSES, "occupation_class"
            ),
            smoker=to_bool(required(p, "smoker"), "smoker"),
            hazardous_hobbies=to_bool(required(p, "hazardous_hobbies"), "hazardous_hobbies"),
            health_conditions=one_of(
                required(p, "health_conditions"), HEALTH_CONDITIONS, "health_conditions"
            ),
            health_details=to_text(p.get("health_details")),
            consent=to_bool(p.get("consent", False), "consent"),
        )


def _check_sold(connection: Connection, code: str) -> None:
    if first_row(connection, PRODUCT_BY_CODE, {"code": code}) is None:
        raise HandlerError(f"The product {code} is not sold.")


def _sold(application: Record) -> Record:
    """The application row read with its product (outer join): no product means not sold."""
    if application.sold_code is None:
        raise HandlerError(f"The product {application.product_code} is not sold.")
    return application


def _upsert_customer(ctx: HandlerContext, data: ApplicationData) -> Registered:
    """One customer file per ID number: a returning customer's file is updated, not copied.

    Changed personal data clears `verified_at`, because the file must be verified again.
    """
    fields = {
        "full_name": data.full_name,
        "date_of_birth": data.date_of_birth,
        "phone": data.phone or None,
        "email": data.email or None,
        "address": data.address or None,
    }
    customer = first_row(ctx.connection, CUSTOMER_BY_ID_NUMBER, {"id_number": data.id_number})
    if customer is None:
        number = next_number(ctx.connection, "CUS")
        customer_id = insert_record(ctx.connection, Customer, customer_number=number,
                                    id_number=data.id_number, verified_at=None, **fields)
        return Registered(customer_id, number, data.full_name)
    if any(getattr(customer, key) != value for key, value in fields.items()):
        update_record(ctx.connection, Customer, customer.id, verified_at=None, **fields)
    return Registered(customer.id, customer.customer_number, data.full_name)


def _application_fields(data: ApplicationData, customer: Registered) -> dict[str, Any]:
    """The form as application columns; the health declaration is kept as a document."""
    return {
        "customer_id": customer.customer_id,
        "product_code": data.product_code,
        "sum_insured": data.sum_insured,
        "channel": data.channel,
        "occupation": data.occupation,
        "occupation_class": data.occupation_class,
        "smoker": data.smoker,
        "hazardous_hobbies": data.hazardous_hobbies,
        "health_declaration": {
            "conditions": data.health_conditions,
            "details": data.health_details,
        },
        "consent": data.consent,
        "status": "registered",
    }


def _registration_result(application_number: str, customer: Registered) -> dict[str, Any]:
    return {
        "application_number": application_number,
        "customer_number": customer.customer_number,
        "status": "registered",
    }


def _retried_application(ctx: HandlerContext) -> Record | None:
    """On a retry the case already carries the application number: update, do not duplicate."""
    if not ctx.business_key:
        return None
    return first_row(ctx.connection, APPLICATION_BY_NUMBER, {"number": ctx.business_key})


@handler("new_business.register_application", orm=False)
def register_application(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Create the customer file (or update it by ID number) and the application.

    Params: the nb_application form fields. Sets the case business key to the APP- number.
    """
    data = ApplicationData.from_params(params)
    _check_sold(ctx.connection, data.product_code)
    customer = _upsert_customer(ctx, data)
    fields = _application_fields(data, customer)
    application = _retried_application(ctx)
    if application is None:
        number = next_number(ctx.connection, "APP")
        insert_record(ctx.connection, Application, application_number=number, **fields)
    else:
        number = application.application_number
        update_record(ctx.connection, Application, application.id, **fields)
    ctx.set_business_key(number)
    ctx.set_customer_name(customer.full_name)
    return _registration_result(number, customer)


@handler("new_business.update_application", orm=False)
def update_application(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Apply the corrected application form to the existing application.

    Params: application_number plus the nb_application_correction form fields.
    """
    application = get_application(ctx.connection, required(params, "application_number"))
    if application.status not in EDITABLE_STATUSES:
        raise HandlerError(
            f"Application {application.application_number} can no longer be changed "
            f"(status {application.status})."
        )
    data = ApplicationData.from_params(params)
    _check_sold(ctx.connection, data.product_code)
    customer = _upsert_customer(ctx, data)
    update_record(ctx.connection, Application, application.id,
                  **_application_fields(data, customer))
    return _registration_result(application.application_number, customer)


def _contact_reasons(file: Record) -> list[str]:
    """The customer must be reachable and the contact data must look real."""
    reasons = []
    if not file.phone and not file.email:
        reasons.append("Neither a phone number nor an email address is given.")
    if file.phone and len(re.sub(r"\D", "", file.phone)) < 7:
        reasons.append("The phone number has fewer than 7 digits.")
    if file.email and not EMAIL_PATTERN.match(file.email):
        reasons.append("The email address is not valid.")
    if not file.address:
        reasons.append("The postal address is missing.")
    return reasons


def _age_reasons(born: date, age: int, today: date) -> list[str]:
    """Only adults up to the maximum entry age can be insured."""
    if born > today:
        return ["The date of birth is in the future."]
    if age < MIN_AGE:
        return [f"The applicant is {age}; the minimum entry age is {MIN_AGE}."]
    if age > MAX_AGE:
        return [f"The applicant is {age}; the maximum entry age is {MAX_AGE}."]
    return []


def _cover_reasons(file: Record) -> list[str]:
    """The sum insured must be a positive amount within the product's limit."""
    if file.sum_insured <= 0:
        return ["The sum insured must be greater than zero."]
    if file.sum_insured > file.max_sum_insured:
        return [
            f"The sum insured {file.sum_insured} exceeds the {file.product_name} "
            f"maximum of {file.max_sum_insured}."
        ]
    return []


def _declaration_reasons(file: Record) -> list[str]:
    """Consent is mandatory, and a declared health condition must be described."""
    reasons = []
    if not file.consent:
        reasons.append("The applicant has not given consent.")
    declaration = file.health_declaration or {}
    if declaration.get("conditions") != "none" and not to_text(declaration.get("details")):
        reasons.append("Health conditions are declared but not described.")
    if not file.occupation:
        reasons.append("The occupation is missing.")
    return reasons


@handler("new_business.verify_customer", orm=False)
def verify_customer(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Check the application for completeness and plausibility before any money is taken.

    Params: application_number. Returns complete, reasons (one sentence each), age.
    """
    number = required(params, "application_number")
    file = _sold(application_row(ctx.connection, APPLICATION_FILE, number))
    age = age_on(file.date_of_birth, ctx.today)
    reasons = [
        *_contact_reasons(file),
        *_age_reasons(file.date_of_birth, age, ctx.today),
        *_cover_reasons(file),
        *_declaration_reasons(file),
    ]
    complete = not reasons
    update_record(ctx.connection, Application, file.id,
                  status="verified" if complete else "incomplete")
    if complete:
        update_record(ctx.connection, Customer, file.customer_id, verified_at=ctx.now)
    return {
        "application_number": file.application_number,
        "complete": complete,
        "reasons": reasons,
        "age": age,
        # What the first premium form and payment message must bring (their x-rules).
        "premium_due": first_premium_due(file.sum_insured, file.rate_per_thousand),
    }


def _loading(decision: str, value: Any) -> int:
    """A loading only exists for accept_with_loading, and then it must be a real surcharge."""
    if decision != "accept_with_loading":
        return 0
    loading = to_int(value if value not in (None, "") else 0, "loading_percent")
    if not 0 < loading <= MAX_LOADING_PERCENT:
        raise HandlerError(
            f"A loading between 1 and {MAX_LOADING_PERCENT} percent is needed to accept "
            "with loading."
        )
    return loading


@handler("new_business.record_underwriting", orm=False)
def record_underwriting(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Record the final underwriting decision, whether the rules or an underwriter made it.

    Params: application_number, decision (accept/accept_with_loading/decline),
    loading_percent, reason. Downstream gateways read only this step's result.
    """
    application = get_application(ctx.connection, required(params, "application_number"))
    decision = one_of(required(params, "decision"), FINAL_DECISIONS, "underwriting decision")
    loading = _loading(decision, params.get("loading_percent"))
    reason = required_text(params, "reason")
    update_record(ctx.connection, Application, application.id, risk_class=decision,
                  loading_percent=Decimal(loading), decision_reason=reason,
                  status="underwritten")
    return {
        "application_number": application.application_number,
        "decision": decision,
        "loading_percent": loading,
        "reason": reason,
    }


@handler("new_business.decline_application", orm=False)
def decline_application(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Close a declined application with its reason (the reason is what the customer hears).

    Params: application_number, reason.
    """
    application = get_application(ctx.connection, required(params, "application_number"))
    has_policy = first_row(ctx.connection, POLICY_ID_OF_APPLICATION,
                           {"application_id": application.id})
    if has_policy:
        raise HandlerError(f"Application {application.application_number} already has a policy.")
    reason = required_text(params, "reason")
    update_record(ctx.connection, Application, application.id, status="declined",
                  decision_reason=reason)
    return {
        "application_number": application.application_number,
        "status": "declined",
        "reason": reason,
    }


def _new_policy(ctx: HandlerContext, application: Record) -> dict[str, Any]:
    """The policy's columns for an accepted application, cover starting today."""
    loading = application.loading_percent or Decimal(0)
    return {
        "policy_number": next_number(ctx.connection, "POL"),
        "application_id": application.id,
        "customer_id": application.customer_id,
        "product_code": application.sold_code,
        "sum_insured": application.sum_insured,
        "annual_premium": annual_premium(application.sum_insured,
                                         application.rate_per_thousand, loading),
        "loading_percent": loading,
        "effective_date": ctx.today,
        "expiry_date": add_years(ctx.today, application.term_years),
        "status": "issued",
        "issued_at": ctx.now,
    }


def _issuance_result(policy: Any) -> dict[str, Any]:
    """From the issued policy's columns (a row read back, or the values just inserted)."""
    return {
        "policy_number": policy["policy_number"],
        "annual_premium": policy["annual_premium"],
        "effective_date": policy["effective_date"],
        "expiry_date": policy["expiry_date"],
        "status": policy["status"],
    }


@handler("new_business.issue_policy", orm=False)
def issue_policy(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Turn an accepted application into a policy; a retry returns the policy already issued.

    Params: application_number. Cover starts today; premiums already paid move to the policy.
    """
    number = required(params, "application_number")
    application = application_row(ctx.connection, APPLICATION_FOR_ISSUE, number)
    if application.policy_number is not None:
        ctx.add_correlation_key(application.policy_number)
        return _issuance_result({**application._mapping, "status": application.policy_status})
    if application.status != "underwritten" or application.risk_class not in FINAL_DECISIONS[:2]:
        raise HandlerError(
            f"Application {application.application_number} has not been accepted by underwriting."
        )
    policy = _new_policy(ctx, _sold(application))
    policy_id = insert_record(ctx.connection, Policy, **policy)
    for payment in LINK_PAYMENTS.all(ctx.connection, {"paid_for": application.id,
                                                      "new_policy_id": policy_id}):
        note_written(Payment, payment.id)
    update_record(ctx.connection, Application, application.id, status="issued")
    ctx.add_correlation_key(policy["policy_number"])
    return _issuance_result(policy)


@handler("new_business.record_delivery", orm=False)
def record_delivery(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Record how and when the policy document went to the customer.

    Params: policy_number, method (mail/in_person), sent_on.
    """
    policy = get_policy(ctx.connection, required(params, "policy_number"))
    sent_on = to_date(required(params, "sent_on"), "sent_on")
    if not policy.effective_date <= sent_on <= ctx.today:
        raise HandlerError(
            f"The delivery date {sent_on.isoformat()} must lie between the issue date "
            f"{policy.effective_date.isoformat()} and today."
        )
    method = one_of(required(params, "method"), DELIVERY_METHODS, "method")
    status = "delivered" if policy.status == "issued" else policy.status
    update_record(ctx.connection, Policy, policy.id, delivery_method=method,
                  delivered_on=sent_on, status=status)
    return {
        "policy_number": policy.policy_number,
        "delivery_method": method,
        "delivered_on": sent_on,
        "status": status,
    }


@handler("new_business.confirm_delivery", orm=False)
def confirm_delivery(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """The customer's signed receipt puts the policy in force.

    Params: policy_number, receipt_signed_on, signed_by, receipt_reference.
    """
    policy = get_policy(ctx.connection, required(params, "policy_number"))
    signed_on = to_date(required(params, "receipt_signed_on"), "receipt_signed_on")
    delivered_on = policy.delivered_on or policy.effective_date
    if not delivered_on <= signed_on <= ctx.today:
        raise HandlerError(
            f"The receipt date {signed_on.isoformat()} must lie between the delivery date "
            f"{delivered_on.isoformat()} and today."
        )
    signed_by = required_text(params, "signed_by")
    update_record(ctx.connection, Policy, policy.id, receipt_signed_on=signed_on,
                  receipt_signed_by=signed_by, status="in_force")
    return {
        "policy_number": policy.policy_number,
        "status": "in_force",
        "receipt_signed_on": signed_on,
        "receipt_signed_by": signed_by,
        "receipt_reference": to_text(params.get("receipt_reference")),
    }
