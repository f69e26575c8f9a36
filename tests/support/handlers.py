"""Handlers used only by the test fixture processes."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from handlers.registry import REGISTRY, HandlerContext, HandlerError
from models import NumberSequence

if REGISTRY.get("test.echo") is None:

    @REGISTRY.register("test.echo")
    def echo(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"echo": params, "key": ctx.idempotency_key, "money": Decimal("10.10")}

    @REGISTRY.register("test.fail")
    def fail(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        # Writes first, like a real handler that fails half-way: the write must not stay.
        ctx.session.add(NumberSequence(name=f"FAIL{ctx.case_id}", next_value=1))
        ctx.session.flush()
        raise HandlerError(f"the test system refused: {params.get('reason', 'no reason')}")

    @REGISTRY.register("test.crash")
    def crash(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("connection reset by peer")


# Attempts per idempotency key: the key is the same for every attempt of one task.
FLAKY_CALLS: dict[str, int] = {}
OUTAGE = {"down": True}

if REGISTRY.get("test.flaky") is None:

    @REGISTRY.register("test.flaky")
    def flaky(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        """Times out twice for each task, then answers."""
        calls = FLAKY_CALLS[ctx.idempotency_key] = FLAKY_CALLS.get(ctx.idempotency_key, 0) + 1
        if calls <= 2:
            raise TimeoutError(f"gateway timed out (call {calls})")
        return {"calls": calls, "key": ctx.idempotency_key}

    @REGISTRY.register("test.outage")
    def outage(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        if OUTAGE["down"]:
            raise ConnectionError("connection refused by the payment gateway")
        return {"paid": True, "key": ctx.idempotency_key}

    @REGISTRY.register("test.record_effect")
    def record_effect(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
        """An outside system (its own connection, committed at once) that counts every call
        and applies the effect once per idempotency key, as a payment gateway would."""
        engine: Any = ctx.session.get_bind()
        values = {"key": ctx.idempotency_key, "pid": os.getpid()}
        calls = text("INSERT INTO test_call (idempotency_key, pid) VALUES (:key, :pid)")
        effect = text("INSERT INTO test_effect (idempotency_key, pid) VALUES (:key, :pid) "
                      "ON CONFLICT DO NOTHING")
        if engine.dialect.name == "sqlite":  # one writer at a time: stay in our transaction
            ctx.session.execute(calls, values)
            ctx.session.execute(effect, values)
            return {"key": ctx.idempotency_key}
        with engine.connect() as outside:
            earlier = outside.execute(text("SELECT count(*) FROM test_call WHERE "
                                           "idempotency_key = :key"), values).scalar()
            outside.execute(calls, values)
            outside.execute(effect, values)
            outside.commit()
        if params.get("sleep") and not earlier:  # hang on the first call only
            time.sleep(float(params["sleep"]))
        return {"key": ctx.idempotency_key}
