"""Business records from DOMAIN.md: customers, products, applications, policies, claims."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date]
    id_number: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(Base):
    __tablename__ = "product"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(String(32))
    rate_per_thousand: Mapped[Decimal]
    max_sum_insured: Mapped[Decimal]
    term_years: Mapped[int] = mapped_column(default=1)


class Application(Base):
    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("product.code"))
    sum_insured: Mapped[Decimal]
    channel: Mapped[str] = mapped_column(String(32))
    occupation: Mapped[str] = mapped_column(String(200))
    occupation_class: Mapped[str] = mapped_column(String(32))
    smoker: Mapped[bool]
    hazardous_hobbies: Mapped[bool]
    health_declaration: Mapped[dict[str, Any]]
    consent: Mapped[bool]
    status: Mapped[str] = mapped_column(String(32), index=True)
    risk_class: Mapped[str | None] = mapped_column(String(32))
    loading_percent: Mapped[Decimal | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Policy(Base):
    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_number: Mapped[str] = mapped_column(String(32), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("product.code"))
    sum_insured: Mapped[Decimal]
    annual_premium: Mapped[Decimal]
    loading_percent: Mapped[Decimal]
    effective_date: Mapped[date]
    expiry_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(32), index=True)
    delivery_method: Mapped[str | None] = mapped_column(String(32))
    delivered_on: Mapped[date | None]
    receipt_signed_on: Mapped[date | None]
    receipt_signed_by: Mapped[str | None] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class Claim(Base):
    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_number: Mapped[str] = mapped_column(String(32), unique=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"), index=True)
    policy_number: Mapped[str] = mapped_column(String(32), index=True)
    loss_date: Mapped[date]
    cause: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    amount_claimed: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(32), index=True)
    fraud_indicators: Mapped[list[Any]] = mapped_column(default=list)
    investigation_findings: Mapped[str | None] = mapped_column(Text)
    # [{"kind": ..., "reference": ..., "received_at": ...}] as filed from messages
    documents: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    assessed_amount: Mapped[Decimal | None]
    approver_role: Mapped[str | None] = mapped_column(String(64))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class Payment(Base):
    """Money in (premiums) and out (claim payouts); the idempotency key stops double effects."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_number: Mapped[str] = mapped_column(String(32), unique=True)
    direction: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal]
    paid_on: Mapped[date]
    reference: Mapped[str | None] = mapped_column(String(100))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
