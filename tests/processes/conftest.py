"""The real processes in processes/, deployed on a real database, products seeded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.clock import set_clock
from handlers import ensure_products
from tests.support import flows

TODAY = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def insurer(uow):  # type: ignore[no-untyped-def]
    set_clock(lambda: TODAY)
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return uow
