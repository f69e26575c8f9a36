"""Core throughput and long-history benchmark (prints figures; not a test).

1. New business, accept path, cases completed end to end per second: through the service
   layer on SQLite and on PostgreSQL, and in memory with no database, two ways (service tasks
   answer with the results a persisted run recorded, forms are typed once up front):
   - `bare_spiffworkflow`: bare SpiffWorkflow, its own parser and script engine (the ceiling
     the throughput target is set against; bench/bare_spiff.py);
   - `memory`: the same process driven through Insurflow's engine.CaseRuntime (sandbox,
     pruning, events). Where it runs faster than bare SpiffWorkflow, it is the stricter
     ceiling of the two.
   SQLite and both ceilings run in alternating rounds; a share is the median of the rounds'
   shares (`..._by_round` lists them all). One process runs every step, so each
   step finds the runtime the step before kept (services.runtime_cache); `sqlite_cold_...`
   restores every step from the database, as when consecutive steps of a case land on
   different web processes. After the warm-up the process freezes its heap, as the app
   and the worker do once started (services/heap.py). `kept_runtime_kib`: the memory one
   kept runtime holds (INSURFLOW_RUNTIME_CACHE_SIZE of them per process).
2. Completing one task in a case with 1,000 earlier steps against one in a fresh case.

Usage: python bench/bench_core.py [--cases N] [--rounds N] [--history N] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Pool, event  # noqa: E402

from bench.bare_spiff import bare_ceiling  # noqa: E402
from bench.support import (  # noqa: E402
    PG_DEFAULT,
    Uow,
    fresh_database,
    memory_ceiling,
    new_business_case,
    new_business_start,
    recorded_service_results,
    task_loop_timings,
)
from services.heap import freeze_startup_heap  # noqa: E402
from services.runtime_cache import CACHE, capacity_setting  # noqa: E402

_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b")


def statements_per_case(uow: Uow, number: int) -> tuple[int, int]:
    """SQL statements SQLite ran for one accept-path case, start to delivery confirmation, as
    its own trace sees them (whoever sent them: SQLAlchemy, models.direct or the driver; each
    row of an executemany is one): (all of them, those of them that are transaction
    control: BEGIN, SAVEPOINT, RELEASE, COMMIT)."""
    new_business_case(uow, number - 1)  # the first case also creates the number counters
    traced: list[str] = []

    def trace(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(traced.append)

    def untrace(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(None)

    hooks = [(Pool, "checkout", trace), (Pool, "checkin", untrace)]
    for target, name, hook in hooks:
        event.listen(target, name, hook)
    try:
        new_business_case(uow, number)
    finally:
        for target, name, hook in hooks:
            event.remove(target, name, hook)
    return len(traced), sum(1 for sql in traced if _CONTROL.match(sql))


def persisted_rate(url: str, cases: int) -> tuple[float, dict[str, Any]]:
    uow = fresh_database(url)
    new_business_case(uow, 0)  # warm caches (parse, compile) outside the timing
    freeze_startup_heap()  # as the app and the worker do once started (services/heap.py)
    started = time.perf_counter()
    for number in range(1, cases + 1):
        new_business_case(uow, number)
    elapsed = time.perf_counter() - started
    return cases / elapsed, recorded_service_results(uow)


def interleaved_rates(url: str, cases: int, rounds: int
                      ) -> tuple[list[float], list[float], list[float]]:
    """SQLite, in-memory and bare SpiffWorkflow cases/s, measured in alternating rounds of
    cases/rounds each: this machine's speed drifts by more than the difference between two
    runs, and a share taken from two measurements minutes apart mostly measures the drift."""
    uow = fresh_database(url)
    new_business_case(uow, 0)  # warm caches (parse, compile) outside the timing
    results = recorded_service_results(uow)
    memory_ceiling(results, 5)
    bare_ceiling(results, 5)
    freeze_startup_heap()  # as the app and the worker do once started (services/heap.py)
    batch, number = max(cases // rounds, 1), 0
    persisted, memory, bare = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(batch):
            number += 1
            new_business_case(uow, number)
        persisted.append(batch / (time.perf_counter() - started))
        memory.append(memory_ceiling(results, batch))
        bare.append(bare_ceiling(results, batch))
    return persisted, memory, bare


def kept_runtime_kib(url: str, cases: int = 100) -> float:
    """Memory one kept runtime holds: cases started (each waits at its first task) with the
    cache on, minus the same after the cache is emptied."""
    uow = fresh_database(url)
    new_business_start(uow, 0)
    CACHE.clear()
    gc.collect()
    tracemalloc.start()
    for number in range(1, cases + 1):
        new_business_start(uow, number)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0]
    CACHE.clear()
    gc.collect()
    freed = kept - tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return freed / cases / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating SQLite / in-memory rounds the cases are split into")
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument("--postgres", default=PG_DEFAULT, help="URL, or 'none' to skip")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        persisted, memory, bare = interleaved_rates(f"sqlite:///{tmp}/bench.db", args.cases,
                                                    args.rounds)
        sqlite_rate, ceiling = statistics.median(persisted), statistics.median(memory)
        shares = sorted(p / m for p, m in zip(persisted, memory, strict=True))
        bare_shares = sorted(p / b for p, b in zip(persisted, bare, strict=True))
        figures["sqlite_cases_per_s"] = round(sqlite_rate, 1)
        executed, control = statements_per_case(fresh_database(f"sqlite:///{tmp}/count.db"), 1)
        figures["sqlite_statements_per_case"] = executed
        figures["sqlite_statements_per_case_of_which_transaction_control"] = control
        figures["bare_spiffworkflow_cases_per_s"] = round(statistics.median(bare), 1)
        figures["sqlite_share_of_bare_spiffworkflow"] = f"{statistics.median(bare_shares):.0%}"
        figures["sqlite_share_of_bare_by_round"] = [f"{share:.0%}" for share in bare_shares]
        figures["memory_cases_per_s"] = round(ceiling, 1)
        figures["sqlite_share_of_ceiling"] = f"{statistics.median(shares):.0%}"
        figures["sqlite_share_by_round"] = [f"{share:.0%}" for share in shares]
        CACHE.resize(0)
        cold_rate, _ = persisted_rate(f"sqlite:///{tmp}/cold.db", args.cases)
        CACHE.resize(capacity_setting())
        figures["sqlite_cold_cases_per_s"] = round(cold_rate, 1)
        figures["sqlite_cold_share_of_ceiling"] = f"{cold_rate / ceiling:.0%}"
        figures["kept_runtime_kib"] = round(kept_runtime_kib(f"sqlite:///{tmp}/kept.db"), 1)
        if args.postgres != "none":
            pg_rate, _ = persisted_rate(args.postgres, args.cases)
            figures["postgres_cases_per_s"] = round(pg_rate, 1)
            figures["postgres_share_of_ceiling"] = f"{pg_rate / ceiling:.0%}"
            figures["postgres_share_of_bare_spiffworkflow"] = \
                f"{pg_rate / statistics.median(bare):.0%}"
        fresh, long = task_loop_timings(f"sqlite:///{tmp}/history.db", args.history)
        figures["fresh_case_step_ms_median"] = round(statistics.median(fresh) * 1000, 2)
        figures[f"history_{args.history}_step_ms_median"] = round(
            statistics.median(long) * 1000, 2)
        figures["long_over_fresh"] = round(statistics.median(long) / statistics.median(fresh), 2)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
