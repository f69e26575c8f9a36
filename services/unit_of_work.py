"""One transaction per use case: it rolls back unless the caller commits."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .errors import Conflict

CHANGED_MEANWHILE = "someone else changed this case at the same time; reload and try again"


def expire_loaded(session: Session, written: Callable[[object], bool]) -> None:
    """Objects this session loaded that a statement has since rewritten (`written` says
    which) would still show the old row: expire them so they are read again. Objects with
    changes of their own not yet flushed are left as they are."""
    for loaded in list(session.identity_map.values()):
        if written(loaded) and not session.is_modified(loaded):
            session.expire(loaded)


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it leaves loaded
        # objects readable (detached) for the caller to present.
        self.session.close()

    def commit(self) -> None:
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
