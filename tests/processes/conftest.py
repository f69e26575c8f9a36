"""The real processes in processes/, deployed on a real database, products seeded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine.clock import set_clock
from handlers import ensure_products
from models import Case
from services.replay import replay_case
from tests.support import flows
from tests.support.clock import SUITE_START

TODAY = SUITE_START  # held still: process tests compare recorded times exactly


@pytest.fixture
def insurer(uow):  # type: ignore[no-untyped-def]
    set_clock(lambda: TODAY)
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return uow


@pytest.fixture(autouse=True)
def _every_case_replays(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each process test, every case it made replays from its history and matches
    the stored state: each path these tests drive is a replay test too."""
    if "insurer" not in request.fixturenames or \
            request.node.get_closest_marker("tampers_history"):
        yield
        return
    uow = request.getfixturevalue("insurer")
    yield
    with uow() as work:
        reports = [replay_case(work.session, case_id)
                   for case_id in work.session.scalars(select(Case.id).order_by(Case.id))]
    diverged = {r.case_id: r.differences for r in reports if not r.matches}
    assert not diverged, f"replay diverged: {diverged}"
