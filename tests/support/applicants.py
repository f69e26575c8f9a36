"""Application and claim data for process tests (valid against the forms in forms/)."""

from __future__ import annotations

from typing import Any

HEALTHY: dict[str, Any] = {
    "full_name": "Mei Lin", "date_of_birth": "1988-04-12", "id_number": "A123456789",
    "phone": "+886 2 1234 5678", "email": "mei.lin@example.com",
    "address": "12 Harbour Road, Taipei", "product_code": "TERM_LIFE",
    "sum_insured": "250000.00", "channel": "agent", "occupation": "Accountant",
    "occupation_class": "office", "smoker": False, "hazardous_hobbies": False,
    "health_conditions": "none", "consent": True,
}


def applicant(**changes: Any) -> dict[str, Any]:
    return {**HEALTHY, **changes}


PREMIUM = {"method": "bank_transfer", "amount": "450.00", "paid_on": "2026-11-25",
           "reference": "TRX-1"}
DELIVERY = {"method": "mail", "sent_on": "2026-11-25"}
RECEIPT = {"receipt_signed_on": "2026-11-25", "signed_by": "Mei Lin",
           "receipt_reference": "RCPT-1"}
