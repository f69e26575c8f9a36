"""The suite's clock: the test data is dated 2026-11-25 (tests/support/applicants.py), so the
engine must think it is that day whatever day the suite runs on, or date checks such as
"the delivery date must lie between the issue date and today" fail after midnight."""

from __future__ import annotations

from datetime import UTC, datetime

SUITE_START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SUITE_TODAY = SUITE_START.date().isoformat()
_REAL_START = datetime.now(UTC)


def suite_clock() -> datetime:
    """2026-11-25 09:30 UTC plus the real time elapsed since the suite began: time still
    moves on (what is made later sorts later), and it stays on the day the data is dated."""
    return SUITE_START + (datetime.now(UTC) - _REAL_START)
