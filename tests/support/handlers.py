"""Handlers used only by the test fixture processes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.registry import REGISTRY, HandlerContext, HandlerError

if REGISTRY.get("test.echo") is None:

    @REGISTRY.register("test.echo")
    def echo(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"echo": params, "key": ctx.idempotency_key, "money": Decimal("10.10")}

    @REGISTRY.register("test.fail")
    def fail(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        raise HandlerError(f"the test system refused: {params.get('reason', 'no reason')}")

    @REGISTRY.register("test.crash")
    def crash(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("connection reset by peer")
