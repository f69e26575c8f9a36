"""Background jobs on PostgreSQL: jobs per second with one and two worker processes, and how
late 10,000 timers due within the same minute fire.

Usage: python bench/bench_jobs.py [--jobs N] [--timers N] [--postgres URL]

Workers are real `insurflow worker` processes. Throughput: N timer cases are created "in the
past" (the engine clock is set back while creating them), so every job is due when the
workers start; the rate is jobs done over the span of their finish times. Lateness: N timers
due at spread instants within one minute, created before that minute starts; lateness is the
`timer_fired` event's fired_at minus its due_at. Prints JSON figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.support import fresh_database  # noqa: E402
from engine.clock import set_clock  # noqa: E402
from services import cases  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/insurflow_bench_jobs"
ENTRY = "import sys; from cli.main import main; sys.argv[0] = 'insurflow'; main()"


def _create(uow: Any, due_times: list[datetime], chunk: int = 500) -> float:
    """Start one timer case per due time; returns cases per second."""
    began = time.perf_counter()
    for start in range(0, len(due_times), chunk):
        with uow() as work:
            for due in due_times[start:start + chunk]:
                cases.start_case(work.session, "timer_wait", {"due_time": due.isoformat()},
                                 "bench")
            work.commit()
    return len(due_times) / (time.perf_counter() - began)


def _workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "INSURFLOW_DATABASE_URL": url, "INSURFLOW_SECRET_KEY": "bench-" + "k" * 32}
    return [subprocess.Popen([sys.executable, "-c", ENTRY, "worker", "--worker-id",
                              f"bench-{n}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for n in range(count)]


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def _wait_done(uow: Any, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with uow() as work:
            done = work.session.execute(text(
                "SELECT count(*) FROM job WHERE status = 'done'")).scalar()
        if done >= total:
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out: {done} of {total} jobs done")


def throughput(url: str, jobs: int, worker_count: int) -> float:
    uow = fresh_database(url, FIXTURES)
    real_now = datetime.now(UTC)
    set_clock(lambda: real_now - timedelta(hours=1))  # create "an hour ago"
    _create(uow, [real_now - timedelta(minutes=30)] * jobs)
    set_clock(None)
    workers = _workers(url, worker_count)
    try:
        _wait_done(uow, jobs, timeout=600)
    finally:
        _stop(workers)
    with uow() as work:
        first, last = work.session.execute(text(
            "SELECT min(finished_at), max(finished_at) FROM job WHERE status = 'done'")).one()
    _dispose(uow)
    return float((jobs - 1) / (last - first).total_seconds())


def _dispose(uow: Any) -> None:
    """Close our pooled connections, so the next phase can drop and recreate the database."""
    with uow() as work:
        engine = work.session.get_bind()
    engine.dispose()


def lateness(url: str, timers: int, worker_count: int) -> dict[str, Any]:
    uow = fresh_database(url, FIXTURES)
    sample = 200
    probe = _create(uow, [datetime.now(UTC) + timedelta(days=1)] * sample)
    minute = datetime.now(UTC) + timedelta(seconds=timers / probe * 1.3 + 15)
    rng = random.Random(4)
    due = sorted(minute + timedelta(seconds=rng.uniform(0, 60)) for _ in range(timers))
    _create(uow, due)
    workers = _workers(url, worker_count)  # idle until the minute starts
    try:
        _wait_done(uow, timers, timeout=max(300.0, (due[-1] - datetime.now(UTC))
                                            .total_seconds() + 300))
    finally:
        _stop(workers)
    with uow() as work:
        rows = work.session.execute(text(
            "SELECT payload FROM audit_event WHERE kind = 'timer_fired'")).scalars().all()
    _dispose(uow)
    late = sorted((datetime.fromisoformat(p["fired_at"]) - datetime.fromisoformat(p["due_at"]))
                  .total_seconds() for p in rows)
    return {"timers": len(late), "workers": worker_count,
            "lateness_median_s": round(statistics.median(late), 3),
            "lateness_p95_s": round(late[int(len(late) * 0.95) - 1], 3),
            "lateness_p99_s": round(late[int(len(late) * 0.99) - 1], 3),
            "lateness_max_s": round(late[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--light-timers", type=int, default=2_000,
                        help="a second lateness run, at a load the workers can keep up with")
    parser.add_argument("--postgres", default=PG_DEFAULT)
    args = parser.parse_args()
    one = throughput(args.postgres, args.jobs, 1)
    two = throughput(args.postgres, args.jobs, 2)
    figures: dict[str, Any] = {
        "jobs": args.jobs, "jobs_per_s_one_worker": round(one, 1),
        "jobs_per_s_two_workers": round(two, 1), "two_over_one": round(two / one, 2),
        "cpu_cores": os.cpu_count(),
    }
    figures["timers"] = lateness(args.postgres, args.timers, 2)
    if args.light_timers:
        figures["timers_light"] = lateness(args.postgres, args.light_timers, 2)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
