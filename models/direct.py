"""Fixed write statements of the step's hot path, run on the driver's cursor.

SQLAlchemy still builds and compiles each statement from the models' tables (for the
dialect in use, casts and all) and converts every value with the column type's own bind
processor. What is skipped is its per-call execution machinery (execution context, events,
result objects), which costs several times what SQLite takes to run one of these
statements; a step sends about twenty of them. Used for writes whose values the caller
gives in full (no Python-side column defaults are applied) and whose only answer is a row
count, or one value a RETURNING clause gives back as the driver reads it (an id, a counter:
no result type conversion is applied). They run inside the session's transaction and are
not echoed by SQLAlchemy's logging; a driver error is raised as SQLAlchemy's own (e.g.
`OperationalError`), as from `execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

# bind name, value the statement itself gives it (or _FROM_CALLER), converter (or None)
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
            given = _FROM_CALLER if bind.required or bind.value is None else bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.binds.append((name, given, processor))

    def driver_params(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = []
        for name, given, processor in self.binds:
            value = params[name] if given is _FROM_CALLER else given
            values.append(processor(value) if processor is not None else value)
        if self.positional:
            return values
        return {name: value for (name, _, _), value in zip(self.binds, values, strict=True)}


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
