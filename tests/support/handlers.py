"""Handlers used only by the test fixture processes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.registry import REGISTRY, HandlerContext, HandlerError

# Flip to True to "fix the cause" of test.fail (tests/integration/test_incidents.py resets it).
FAILING_SYSTEM = {"fixed": False}

if REGISTRY.get("test.echo") is None:

    @REGISTRY.register("test.echo")
    def echo(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"echo": params, "key": ctx.idempotency_key, "money": Decimal("10.10")}

    @REGISTRY.register("test.fail")
    def fail(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        if FAILING_SYSTEM["fixed"]:
            return {"accepted": True}
        raise HandlerError(f"the test system refused: {params.get('reason', 'no reason')}")

    @REGISTRY.register("test.crash")
    def crash(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("connection reset by peer")
