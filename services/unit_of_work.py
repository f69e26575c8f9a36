"""One transaction per use case: it rolls back unless the caller commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .errors import Conflict

CHANGED_MEANWHILE = "someone else changed this case at the same time; reload and try again"


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
