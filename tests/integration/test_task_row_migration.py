"""Migration 0008 drops the task rows' position; its downgrade numbers them again in tree order,
and a database taken down and up again runs its cases on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from engine.state import _tree_order
from handlers import ensure_products
from models.db import make_session_factory
from services.unit_of_work import UnitOfWork
from tests.support import databases, flows
from tests.support.applicants import applicant


@pytest.fixture
def own_engine(db_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database of the same kind, migrated to head."""
    engine = databases.second_database(db_engine, tmp_path, "task_rows", "head")
    yield engine
    engine.dispose()


def test_downgrade_numbers_rows_in_tree_order_and_upgrade_runs_on(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(factory)

    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    case_ids = [flows.start(uow, "new_business", applicant()) for _ in range(2)]
    flows.complete(uow, case_ids[1], "record_first_premium",
                   {"method": "online", "amount": "450.00", "paid_on": "2026-11-25"})
    databases.downgrade(own_engine, "0007")
    with own_engine.connect() as connection:
        for case_id in case_ids:
            state = connection.execute(text("SELECT workflow_state FROM cases WHERE id = :id"),
                                       {"id": case_id}).scalar_one()
            state = state if isinstance(state, dict) else json.loads(state)
            rows = connection.execute(text(
                "SELECT position, content FROM case_task_state WHERE case_id = :id "
                "AND workflow_key = '' ORDER BY position"), {"id": case_id}).all()
            contents = [row.content if isinstance(row.content, dict)
                        else json.loads(row.content) for row in rows]
            assert [row.position for row in rows] == list(range(len(rows)))
            assert len(rows) > 3
            assert contents == _tree_order(list(reversed(contents)), state["root"])
    databases.upgrade(own_engine, "head")
    flows.complete(uow, case_ids[0], "record_first_premium",
                   {"method": "online", "amount": "450.00", "paid_on": "2026-11-25"})
    assert flows.show(uow, case_ids[0]).case.status == "active"
