"""Migration 0006 hashes histories written before the chain existed, case by case, in batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, insert, select

from models import Case
from models.db import make_session_factory
from services import audit_verify
from tests.support import audit as forge
from tests.support import databases
from tests.support.audit import EVENTS

COPIES = 250  # more cases than the migration hashes in one batch
OLD_TABLES = ("process_version", "cases", "audit_event")


@pytest.fixture
def old_engine(db_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database of the same kind, at the schema before the hash chain."""
    engine = databases.second_database(db_engine, tmp_path, "before_chain", "0005")
    yield engine
    engine.dispose()


def _copy_the_old_way(source: Engine, target: Engine) -> None:
    """Rows as revision 0005 stored them (no hashes), written with plain INSERTs; every case
    is also copied COPIES times under new case ids, events and all."""
    old = MetaData()
    old.reflect(target, only=OLD_TABLES)
    with source.connect() as reading, target.begin() as writing:
        rows = {name: [row._asdict() for row in reading.execute(select(*(
            Case.metadata.tables[name].c[column.name] for column in old.tables[name].columns
            if (name, column.name) != ("audit_event", "id"))))] for name in OLD_TABLES}
        cases, events = list(rows["cases"]), list(rows["audit_event"])
        for copy in range(1, COPIES + 1):
            for case in cases:
                new_id = copy * 1000 + case["id"]
                rows["cases"].append(case | {"id": new_id, "business_key": f"C-{new_id}"})
                rows["audit_event"] += [event | {"case_id": new_id} for event in events
                                        if event["case_id"] == case["id"]]
        for name in OLD_TABLES:
            writing.execute(insert(old.tables[name]), rows[name])


def test_upgrade_hashes_old_histories_into_chains_that_verify(
        uow, db_engine: Engine, old_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    forge.deploy_real_processes(uow)
    case_ids = [forge.accepted_case(uow), forge.accepted_case(uow, "Chen Wei")]
    _copy_the_old_way(db_engine, old_engine)

    databases.upgrade(old_engine, "head")

    with make_session_factory(old_engine)() as session:
        checks = list(audit_verify.verify_all(session))
    assert len(checks) == len(case_ids) * (COPIES + 1)
    assert [c.sentence() for c in checks if not c.intact] == []
    # The backfill computes exactly the hashes the application recorded live.
    chains = []
    for engine in (db_engine, old_engine):
        with engine.connect() as conn:
            chains.append([(r.case_id, r.seq, r.prev_hash, r.hash) for r in conn.execute(
                select(EVENTS).where(EVENTS.c.case_id.in_(case_ids))
                .order_by(EVENTS.c.case_id, EVENTS.c.seq))])
            chains.append(list(conn.execute(select(Case.id, Case.head_hash)
                                            .where(Case.id.in_(case_ids)).order_by(Case.id))))
    assert chains[0] == chains[2] and chains[1] == chains[3]
