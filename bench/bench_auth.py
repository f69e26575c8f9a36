"""What one API call's authentication costs: an API token (SHA-256 digest, found by its
prefix) against HTTP Basic (a scrypt password hash), as CPU time per check.

Usage: python bench/bench_auth.py [--checks N] [--database-url URL]

Both run the service function the web edge calls, in its own unit of work, on a fresh
SQLite database by default. Prints JSON figures: CPU microseconds per check (median of
rounds) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import fresh_database  # noqa: E402
from services import tokens, users  # noqa: E402
from services.unit_of_work import UnitOfWork  # noqa: E402

PASSWORD = "bench-password-long"


def _per_check(uow: Callable[[], UnitOfWork], check: Callable[[UnitOfWork], object],
               checks: int) -> float:
    """Median CPU microseconds of one check over five rounds of `checks` checks."""
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(checks):
            with uow() as work:
                assert check(work) is not None
                work.commit()
        rounds.append((time.process_time() - started) / checks * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=20, help="checks per round (Basic)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench_auth.db"
    uow = fresh_database(url)
    with uow() as work:
        users.add_user(work.session, "bench", "Bench", PASSWORD, ["clerk"])
        secret = tokens.create_token(work.session, "bench-bank",
                                     ["premium_payment_received"]).secret
        work.commit()
    token_us = _per_check(uow, lambda w: tokens.authenticate_token(w.session, secret),
                          args.checks * 20)
    basic_us = _per_check(uow, lambda w: users.authenticate(w.session, "bench", PASSWORD),
                          args.checks)
    print(json.dumps({"database": url.split(":")[0], "token_check_cpu_us": round(token_us, 1),
                      "basic_check_cpu_us": round(basic_us, 1),
                      "basic_over_token": round(basic_us / token_us, 1)}, indent=2))


if __name__ == "__main__":
    main()
