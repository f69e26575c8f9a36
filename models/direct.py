"""The fixed statements of a step's hot path, run on the driver's cursor.

SQLAlchemy still builds and compiles each statement from the models' tables (for the
dialect in use, casts and all), converts every value with the column type's own bind
processor and every value read with its result processor. What is skipped is its per-call
execution machinery (execution context, events, result objects), which costs several times
what SQLite takes to run one of these statements; a step sends dozens of them.

A statement answers with a row count (`execute`), rows read by column name (`first`,
`all`), or one value as the driver gives it (`first_value`: an id, a counter). Writes take
their values from the caller in full: no Python-side column defaults are applied. They run
inside the session's transaction and are not echoed by SQLAlchemy's logging; a driver error
is raised as SQLAlchemy's own (e.g. `OperationalError`), as from `execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, exc, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from .base import EncodedJson

# bind name, value the statement itself gives it, converted (or _FROM_CALLER), converter
_Bind = tuple[str, Any, Callable[[Any], Any] | None]
_FROM_CALLER = object()


class _Compiled:
    """One statement compiled for one dialect, with each bind's value converter."""

    def __init__(self, statement: ClauseElement, dialect: Dialect,
                 column_keys: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = compiled.positional
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        names = list(compiled.positiontup or ()) if compiled.positional else list(by_name)
        self.binds: list[_Bind] = []
        for name in names:
            bind = by_name[name]
            if bind.expanding or bind.callable:
                raise ValueError(f"bind '{name}': an expanding IN or a callable value cannot "
                                 "be run directly")
            impl = bind.type.dialect_impl(dialect)
            processor: Callable[[Any], Any] | None = impl.bind_processor(dialect)
            if bind.required or bind.value is None:
                if processor is not None and dialect.name == "sqlite" and \
                        isinstance(impl, JSON):
                    processor = _stored_as_given(processor)
                self.binds.append((name, _FROM_CALLER, processor))
            else:  # a value of the statement's own: converted once, here
                value = processor(bind.value) if processor is not None else bind.value
                self.binds.append((name, value, None))

    def driver_params(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = [fixed if fixed is not _FROM_CALLER
                  else params[name] if processor is None else processor(params[name])
                  for name, fixed, processor in self.binds]
        if self.positional:
            return values
        return {name: value for (name, _, _), value in zip(self.binds, values, strict=True)}


def _stored_as_given(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite stores JSON as text: text already encoded (EncodedJson) goes in as it is, as the
    column's own processor would pass it (models.db.encode_json), without its calls."""
    def process(value: Any) -> Any:
        return value if value.__class__ is EncodedJson else processor(value)
    return process


class DirectRow(tuple[Any, ...]):
    """A row a DirectStatement read: by position, or by column name as an attribute."""

    __slots__ = ()
    _names: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._names[name]]
        except KeyError:
            raise AttributeError(f"the row has no column '{name}'") from None

    @property
    def _mapping(self) -> dict[str, Any]:
        """Column name -> value, as SQLAlchemy's `Row._mapping`."""
        return {name: self[index] for name, index in self._names.items()}


class _Reader:
    """Rows of one SELECT as one driver describes them: each value through its column
    type's result processor (SQLite's date text to `date`, NUMERIC to `Decimal`...)."""

    def __init__(self, statement: ClauseElement, dialect: Dialect,
                 description: Sequence[Any]) -> None:
        # a SELECT's columns, or those an INSERT/UPDATE ... RETURNING gives back
        columns = list(getattr(statement, "selected_columns", None)
                       or getattr(statement, "exported_columns", None) or ())
        if len(columns) != len(description):
            raise ValueError("only a SELECT's or a RETURNING clause's rows can be read")
        self.processors = [column.type.dialect_impl(dialect).result_processor(
            dialect, described[1]) for column, described in zip(columns, description,
                                                                 strict=True)]
        names = {described[0]: index for index, described in enumerate(description)}
        self.row_class = type("Row", (DirectRow,), {"__slots__": (), "_names": names})

    def row(self, values: Sequence[Any]) -> DirectRow:
        converted = [value if processor is None else processor(value)
                     for processor, value in zip(self.processors, values, strict=True)]
        row: DirectRow = self.row_class(converted)
        return row


class DirectStatement:
    """A Core statement (no expanding IN) run on the driver's cursor.

    `column_keys`: for an INSERT or UPDATE, the columns its VALUES or SET clause takes from
    the caller's rows (the binds are named after them).
    """

    def __init__(self, statement: ClauseElement, column_keys: Sequence[str] | None = None
                 ) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}
        self._readers: dict[tuple[str, tuple[Any, ...]], _Reader] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(
                self.statement, dialect, self.column_keys)
        return compiled

    def execute(self, connection: Connection,
                params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> int:
        """Run it once (a mapping) or once per row (a list, as one executemany); returns the
        driver's row count."""
        return int(self._run(connection, params, lambda cursor: cursor.rowcount))

    def first(self, connection: Connection, params: Mapping[str, Any]) -> DirectRow | None:
        """Run a SELECT once; its first row (None if none), each value converted by its
        column's type as SQLAlchemy's own result would."""
        rows: list[DirectRow] = self._run(connection, params,
                                          lambda cursor: self._read(connection, cursor, 1))
        return rows[0] if rows else None

    def all(self, connection: Connection, params: Mapping[str, Any]) -> list[DirectRow]:
        """Run a SELECT once; all its rows, converted as `first` converts them."""
        rows: list[DirectRow] = self._run(connection, params,
                                          lambda cursor: self._read(connection, cursor, None))
        return rows

    def _read(self, connection: Connection, cursor: Any, limit: int | None) -> list[DirectRow]:
        values = cursor.fetchmany(limit) if limit is not None else cursor.fetchall()
        if not values:
            return []
        dialect = connection.dialect
        key = (dialect.name, tuple(described[1] for described in cursor.description))
        reader = self._readers.get(key)
        if reader is None:
            reader = self._readers[key] = _Reader(self.statement, dialect, cursor.description)
        return [reader.row(row) for row in values]

    def first_value(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """Run it once; the first column of the first row it returns (None if no row), as
        the driver gives it."""
        return self._run(connection, params, _first_value)

    def _run(self, connection: Connection,
             params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
             answer: Callable[[Any], Any]) -> Any:
        compiled = self._compiled(connection.dialect)
        many = not isinstance(params, Mapping)
        if isinstance(params, Mapping):
            driver_params: Any = compiled.driver_params(params)
        else:
            driver_params = [compiled.driver_params(row) for row in params]
        cursor = connection.connection.cursor()
        try:
            if many:
                cursor.executemany(compiled.sql, driver_params)
            else:
                cursor.execute(compiled.sql, driver_params)
            return answer(cursor)
        except connection.dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(
                compiled.sql, driver_params, error, connection.dialect.loaded_dbapi.Error,
                dialect=connection.dialect) from error
        finally:
            cursor.close()


def _first_value(cursor: Any) -> Any:
    row = cursor.fetchone()
    return row[0] if row is not None else None


def every_column(table: Table, *leaving_out: str) -> tuple[str, ...]:
    """The table's column keys in table order, less `leaving_out` (an autoincrement id): the
    columns of an INSERT that gives every value."""
    return tuple(column.key for column in table.c if column.key not in leaving_out)


@cache
def update_by_id(table: Table, columns: tuple[str, ...]) -> DirectStatement:
    """UPDATE <table> SET <columns> WHERE id = :row_id, built once per table and columns."""
    return DirectStatement(update(table).where(table.c.id == bindparam("row_id")), columns)
