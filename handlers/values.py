"""Coercion of service-task parameters.

The engine converts form money to Decimal and form dates to `date`, but a parameter may also
arrive as the plain JSON string (for example when it was copied from a service result), so
every handler reads its parameters through these helpers and accepts both shapes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .registry import HandlerError

CENT = Decimal("0.01")


def required(params: dict[str, Any], name: str) -> Any:
    """A missing parameter is a modelling mistake; say which one instead of a KeyError."""
    if name not in params or params[name] is None:
        raise HandlerError(f"The parameter {name} is missing.")
    return params[name]


def to_text(value: Any) -> str:
    """Optional text fields may be absent, None or padded; store them trimmed."""
    return "" if value is None else str(value).strip()


def required_text(params: dict[str, Any], name: str) -> str:
    """Text that must carry content (a reason, a name): blank is as bad as missing."""
    text = to_text(params.get(name))
    if not text:
        raise HandlerError(f"The {name.replace('_', ' ')} must not be empty.")
    return text


def to_decimal(value: Any, name: str) -> Decimal:
    """Money arrives as Decimal or string; floats are converted through str to avoid noise."""
    if isinstance(value, bool):
        raise HandlerError(f"The {name.replace('_', ' ')} is not an amount.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise HandlerError(f"The {name.replace('_', ' ')} is not an amount.") from exc
    if not amount.is_finite():
        raise HandlerError(f"The {name.replace('_', ' ')} is not an amount.")
    return amount


def to_money(value: Any, name: str) -> Decimal:
    """An amount of money: positive, at most two decimals, as stored in Money columns."""
    amount = to_decimal(value, name)
    if amount <= 0:
        raise HandlerError(f"The {name.replace('_', ' ')} must be greater than zero.")
    if amount != amount.quantize(CENT):
        raise HandlerError(f"The {name.replace('_', ' ')} has more than two decimals.")
    return amount.quantize(CENT)


def to_date(value: Any, name: str) -> date:
    """Dates arrive as `date` (form conversion) or ISO strings (JSON round trips)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise HandlerError(f"The {name.replace('_', ' ')} is not a date (YYYY-MM-DD).") from exc


def to_bool(value: Any, name: str) -> bool:
    """Form booleans are real booleans; strings are accepted for hand-written parameters."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    raise HandlerError(f"The {name.replace('_', ' ')} must be true or false.")


def to_int(value: Any, name: str) -> int:
    """Whole numbers such as a loading percent; '25', 25 and Decimal('25') are all fine."""
    number = to_decimal(value, name)
    if number != number.to_integral_value():
        raise HandlerError(f"The {name.replace('_', ' ')} must be a whole number.")
    return int(number)


def one_of(value: Any, allowed: tuple[str, ...], name: str) -> str:
    """Enumerations are checked again here because a handler may be called without a form."""
    text = to_text(value)
    if text not in allowed:
        choices = ", ".join(allowed)
        raise HandlerError(f"The {name.replace('_', ' ')} '{text}' is not one of {choices}.")
    return text


def add_years(start: date, years: int) -> date:
    """Same day N years later; 29 February falls back to 28 February in common years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def age_on(born: date, day: date) -> int:
    """Completed years of age on a given day (insurance age by last birthday)."""
    before_birthday = (day.month, day.day) < (born.month, born.day)
    return day.year - born.year - int(before_birthday)
