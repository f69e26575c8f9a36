"""models.direct runs statements on the driver's cursor: what it writes must read back exactly
as what SQLAlchemy's own execute writes, on both databases, and errors must stay SQLAlchemy's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from models.base import EncodedJson, JsonDocument, UtcDateTime
from models.direct import DirectStatement

_META = MetaData()
PROBE = Table("direct_probe", _META,
              Column("id", Integer, primary_key=True, autoincrement=False),
              Column("label", String(40), nullable=False),
              Column("at", UtcDateTime()),
              Column("doc", JsonDocument))
COLUMNS = ("id", "label", "at", "doc")
_INSERT = DirectStatement(insert(PROBE), COLUMNS)


@pytest.fixture
def probe(db_engine: Engine) -> Iterator[Engine]:
    _META.drop_all(db_engine)
    _META.create_all(db_engine)
    yield db_engine
    _META.drop_all(db_engine)


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(PROBE).order_by(PROBE.c.id))]


def _row(number: int, doc: Any) -> dict[str, Any]:
    at = datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    return {"id": number, "label": f"row {number}", "at": at, "doc": doc}


def test_rows_read_back_as_sqlalchemy_writes_them(probe: Engine) -> None:
    doc = {"amount": "12.50", "nested": {"list": [1, 2.5, None, True]}, "name": "Ана"}
    with probe.begin() as connection:
        connection.execute(insert(PROBE), [_row(1, doc), _row(2, None)])
    by_sqlalchemy = _rows(probe)
    with probe.begin() as connection:
        connection.execute(delete(PROBE))
        _INSERT.execute(connection, [_row(1, doc), _row(2, None)])
    assert _rows(probe) == by_sqlalchemy
    assert by_sqlalchemy[0][2] == datetime(2026, 11, 25, 1, 30, 0, 123456, tzinfo=UTC)
    assert by_sqlalchemy[0][3] == doc


def test_encoded_json_is_stored_as_given(probe: Engine) -> None:
    with probe.begin() as connection:
        _INSERT.execute(connection, _row(1, EncodedJson('{"b":1,"a":[2]}')))
    assert _rows(probe)[0][3] == {"a": [2], "b": 1}


def test_row_counts_and_fixed_values(probe: Engine) -> None:
    relabel = DirectStatement(update(PROBE).where(PROBE.c.id == bindparam("key"))
                              .values(label="done"))
    with probe.begin() as connection:
        _INSERT.execute(connection, [_row(n, {}) for n in (1, 2, 3)])
        assert relabel.execute(connection, [{"key": 1}, {"key": 3}, {"key": 9}]) == 2
        assert relabel.execute(connection, {"key": 9}) == 0
    assert [row[1] for row in _rows(probe)] == ["done", "row 2", "done"]


def test_a_driver_error_is_sqlalchemys_and_keeps_nothing(probe: Engine) -> None:
    with pytest.raises(IntegrityError), probe.begin() as connection:
        _INSERT.execute(connection, _row(1, {}))
        _INSERT.execute(connection, _row(1, {}))
    assert _rows(probe) == []


def test_an_expanding_in_is_refused(probe: Engine) -> None:
    statement = DirectStatement(delete(PROBE).where(
        PROBE.c.id.in_(bindparam("ids", expanding=True))))
    with probe.begin() as connection, pytest.raises(ValueError, match="expanding IN"):
        statement.execute(connection, {"ids": [1]})


def test_first_value_gives_what_returning_returns(probe: Engine) -> None:
    rename = DirectStatement(update(PROBE).where(PROBE.c.id == bindparam("key"))
                             .values(label=bindparam("new_label")).returning(PROBE.c.id + 10))
    with probe.begin() as connection:
        _INSERT.execute(connection, _row(1, {}))
        assert rename.first_value(connection, {"key": 1, "new_label": "renamed"}) == 11
        assert rename.first_value(connection, {"key": 2, "new_label": "none"}) is None
    assert [row[1] for row in _rows(probe)] == ["renamed"]


def test_first_reads_a_row_as_sqlalchemy_does(probe: Engine) -> None:
    doc = {"amount": "12.50", "nested": [1, None]}
    by_label = DirectStatement(select(PROBE.c.label, PROBE.c.at, PROBE.c.doc, PROBE.c.id)
                               .where(PROBE.c.id == bindparam("key")))
    with probe.begin() as connection:
        _INSERT.execute(connection, [_row(1, doc), _row(2, None)])
        for key in (1, 2):
            row = by_label.first(connection, {"key": key})
            expected = connection.execute(by_label.statement, {"key": key}).one()
            assert row is not None and tuple(row) == tuple(expected)
            assert (row.label, row.at, row.doc, row.id) == tuple(expected)
            assert row.at.tzinfo is not None
        assert by_label.first(connection, {"key": 3}) is None
        with pytest.raises(AttributeError, match="no column 'missing'"):
            row.missing  # noqa: B018


def test_all_reads_every_row_in_order(probe: Engine) -> None:
    newest_first = DirectStatement(select(PROBE.c.id, PROBE.c.label)
                                   .where(PROBE.c.id >= bindparam("low"))
                                   .order_by(PROBE.c.id.desc()))
    with probe.begin() as connection:
        _INSERT.execute(connection, [_row(n, {}) for n in (1, 2, 3)])
        rows = newest_first.all(connection, {"low": 2})
        assert [(row.id, row.label) for row in rows] == [(3, "row 3"), (2, "row 2")]
        assert newest_first.all(connection, {"low": 9}) == []
