"""The demo product catalogue: the products the new business process can sell.

Rates are per 1,000 of sum insured per year; `max_sum_insured` is the automatic limit the
customer verification checks against; `term_years` sets the policy expiry date.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Product

DEMO_PRODUCTS: list[dict[str, Any]] = [
    {
        "code": "TERM_LIFE",
        "name": "Term life",
        "line": "life",
        "rate_per_thousand": Decimal("1.80"),
        "max_sum_insured": Decimal("5000000.00"),
        "term_years": 20,
    },
    {
        "code": "WHOLE_LIFE",
        "name": "Whole life",
        "line": "life",
        "rate_per_thousand": Decimal("12.50"),
        "max_sum_insured": Decimal("3000000.00"),
        "term_years": 99,
    },
    {
        "code": "HEALTH",
        "name": "Health",
        "line": "health",
        "rate_per_thousand": Decimal("4.20"),
        "max_sum_insured": Decimal("1000000.00"),
        "term_years": 1,
    },
    {
        "code": "ACCIDENT",
        "name": "Personal accident",
        "line": "accident",
        "rate_per_thousand": Decimal("1.10"),
        "max_sum_insured": Decimal("2000000.00"),
        "term_years": 1,
    },
]


def ensure_products(session: Session) -> list[str]:
    """Insert the demo products that are missing; existing rows are left as they are.

    Returns the codes inserted. Does not commit: the caller owns the transaction.
    """
    existing = set(session.scalars(select(Product.code)))
    added = [dict(row) for row in DEMO_PRODUCTS if row["code"] not in existing]
    for row in added:
        session.add(Product(**row))
    session.flush()
    return [row["code"] for row in added]
