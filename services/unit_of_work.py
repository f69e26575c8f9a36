"""One transaction per use case: it rolls back unless the caller commits."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType
from typing import Any, TypeVar, cast

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, class_mapper, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import db

from .errors import Conflict

CHANGED_MEANWHILE = "someone else changed this case at the same time; reload and try again"


_Loaded = TypeVar("_Loaded")


def as_loaded(session: Session, model: type[_Loaded], values: dict[str, Any]) -> _Loaded:
    """The session's object for the row `values` hold (every column, "id" included), as if
    the ORM had just loaded it: the object the session already holds, refreshed (as a query
    with populate_existing would: unflushed changes are gone), or a new one filled the way
    the ORM's loading fills it (no constructor, no change history), for a row read or
    written by statement."""
    held = session.identity_map.get(session.identity_key(model, values["id"]))
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)
        state = inspect(held)
        state._commit_all(state.dict, session.identity_map)
        return cast(_Loaded, held)
    loaded: _Loaded = class_mapper(model).class_manager.new_instance()
    loaded.__dict__.update(values)
    make_transient_to_detached(loaded)
    session.add(loaded)
    return loaded


def expire_loaded(session: Session, written: Callable[[object], bool]) -> None:
    """Objects this session loaded that a statement has since rewritten (`written` says
    which) would still show the old row: expire them so they are read again. Objects with
    changes of their own not yet flushed are left as they are."""
    for loaded in list(session.identity_map.values()):
        if written(loaded) and not session.is_modified(loaded):
            session.expire(loaded)


class UnitOfWork:
    """`read_only`: the caller only reads (a page, a status); on SQLite its transaction then
    does not take the write lock, and committing it is a mistake that raises."""

    def __init__(self, session_factory: sessionmaker[Session], read_only: bool = False) -> None:
        self._factory = session_factory
        self.read_only = read_only
        self.session: Session
        self._transactions: ExitStack

    def __enter__(self) -> UnitOfWork:
        self._transactions = ExitStack()
        self._transactions.enter_context(db.read_only(self.read_only))
        self.session = self._factory()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it leaves loaded
        # objects readable (detached) for the caller to present.
        try:
            self.session.close()
        finally:
            self._transactions.close()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        try:
            self.session.commit()
        except StaleDataError as error:
            self.session.rollback()
            raise Conflict(CHANGED_MEANWHILE) from error
        except OperationalError as error:
            self.session.rollback()
            if "locked" in str(error):
                raise Conflict("the database is busy with another change to this case; "
                               "try again") from error
            raise
