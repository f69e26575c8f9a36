"""Service-task handlers. `import handlers` registers every operator in `REGISTRY`."""

from . import claims, new_business, payments
from .catalog import DEMO_PRODUCTS, ensure_products
from .numbers import next_number
from .registry import REGISTRY, HandlerContext, HandlerError, handler

__all__ = [
    "DEMO_PRODUCTS",
    "REGISTRY",
    "HandlerContext",
    "HandlerError",
    "claims",
    "ensure_products",
    "handler",
    "new_business",
    "next_number",
    "payments",
]
