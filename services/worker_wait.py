"""How an idle worker waits, and how it backs off after a database error.

On PostgreSQL it waits on its own LISTEN connection, woken by NOTIFY when a job is queued.
That connection is the worker's alone and outlives any pooled one, so it can be cut (a
restart, pg_terminate_backend, a network drop): it is then dropped, the worker polls
meanwhile, and a new one is opened with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from sqlalchemy import Engine

from . import jobs

log = logging.getLogger("insurflow.worker")


class Backoff:
    """Waits that double after each failure in a row, from `first` up to `longest` seconds."""

    def __init__(self, first: float = 0.5, longest: float = 30.0) -> None:
        self.first, self.longest = first, longest
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.longest, self.first * 2 ** min(self.failures, 16))
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


class PostgresListener:
    """wait(timeout): up to `timeout` seconds, returning early when a job is queued."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None
        self._raw: Any = None  # the pool's wrapper, kept so the connection is not collected
        self._backoff = Backoff()
        self._retry_at = 0.0

    def __call__(self, timeout: float) -> None:
        if timeout <= 0:
            return
        if self._connection is None and not self._connect():
            time.sleep(timeout)  # poll until the next attempt
            return
        try:
            for _ in self._connection.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as error:  # noqa: BLE001 - any driver error: drop the connection
            log.warning("the LISTEN connection failed (%s); polling until it is back",
                        first_line(error))
            self.close()

    def _connect(self) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        try:
            raw = self._engine.raw_connection()
            connection: Any = raw.driver_connection
            raw.detach()  # ours alone: autocommit must never leak back into the pool's sessions
            connection.autocommit = True
            connection.execute(f"LISTEN {jobs.NOTIFY_CHANNEL}")
        except Exception as error:  # noqa: BLE001 - any driver or pool error
            delay = self._backoff.next_delay()
            self._retry_at = time.monotonic() + delay
            log.warning("cannot LISTEN for jobs (%s); trying again in %.1f s",
                        first_line(error), delay)
            return False
        if self._backoff.failures:
            log.info("listening for jobs again")
        self._backoff.reset()
        self._raw, self._connection = raw, connection
        return True

    def close(self) -> None:
        connection, self._connection, self._raw = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # it is already broken; nothing to keep
                connection.close()



def first_line(error: BaseException) -> str:
    """The driver's message without SQLAlchemy's statement and parameters, on one line."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip()
    return f"{type(cause).__name__}: {text.splitlines()[0]}" if text else type(cause).__name__
