"""Replay benchmark (prints figures; not a test).

1. One case with at least 1,000 audit events, built through the real services (the
   `task_loop` process under bench/fixtures: claim, release, claim again and complete a task,
   over and over): seconds to replay it (target: under 1 second).
2. `insurflow audit replay --all` over many cases (default 10,000 short `task_loop` cases,
   plus `--accept-cases` new business cases on the accept path): cases per second, and the
   process's resident memory after a tenth of the cases and at the end (it must stay flat).

Usage: python bench/bench_audit_replay.py [--database-url URL] [--events N] [--cases N]
       [--accept-cases N] [--batch N]
SQLite in a temporary directory unless --database-url names a database (a PostgreSQL
database named there is dropped and created again).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import Uow, fresh_database, new_business_case  # noqa: E402
from services import assignment, cases, processes, tasks  # noqa: E402
from services.replay import replay_batch, replay_case  # noqa: E402
from services.roles import Actor  # noqa: E402

CLERK = Actor("bench", frozenset({"clerk"}))
OTHER = Actor("bench2", frozenset({"clerk"}))


def start_loop(uow: Uow, limit: int) -> tuple[int, str]:
    with uow() as work:
        case = cases.start_case(work.session, "task_loop", {"steps": 0, "limit": limit}, "bench")
        work.commit()
        return case.id, _open_task(uow, case.id)


def _open_task(uow: Uow, case_id: int) -> str:
    with uow() as work:
        return next(t.id for t in tasks.list_open_tasks(work.session, viewer=None)
                    if t.case_id == case_id)


def long_case(uow: Uow, events: int) -> tuple[int, int]:
    """A case with at least `events` audit events; returns (case id, events)."""
    case_id, task_id = start_loop(uow, events)  # never reaches its limit: each round adds 6
    recorded = 3
    while recorded < events:
        for action, actor in ((assignment.claim, CLERK), (assignment.release, CLERK),
                              (assignment.claim, OTHER)):
            with uow() as work:
                action(work.session, task_id, actor)
                work.commit()
        with uow() as work:
            tasks.complete_task(work.session, task_id, {"note": "x"}, OTHER.username)
            work.commit()
        task_id, recorded = _open_task(uow, case_id), recorded + 6
    with uow() as work:
        return case_id, len(replay_case(work.session, case_id).steps)


def time_long_replay(uow: Uow, case_id: int, runs: int = 5) -> list[float]:
    timings = []
    for _ in range(runs):
        with uow() as work:
            started = time.perf_counter()
            report = replay_case(work.session, case_id)
            timings.append(time.perf_counter() - started)
        assert report.matches, report.differences
    return timings


def many_cases(uow: Uow, count: int, accept: int) -> float:
    """Creates `count` two-step loop cases and `accept` accept-path cases; seconds taken."""
    started = time.perf_counter()
    for _ in range(count):
        case_id, task_id = start_loop(uow, 1)
        with uow() as work:
            tasks.complete_task(work.session, task_id, {"note": "x"}, "bench")
            work.commit()
    for number in range(accept):
        new_business_case(uow, number)
    return time.perf_counter() - started


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 1e6


def replay_all(uow: Uow, total: int, batch: int) -> dict[str, Any]:
    """What `insurflow audit replay --all` does, with memory sampled along the way."""
    done = matched = 0
    last_id, early_mb = 0, 0.0
    started = time.perf_counter()
    while True:
        seen = 0
        with uow() as work:
            for outcome in replay_batch(work.session, last_id, batch):
                seen, last_id, done = seen + 1, outcome.case_id, done + 1
                matched += bool(outcome.report and outcome.report.matches)
                if done == max(total // 10, 1):
                    early_mb = resident_mb()
        if seen == 0:
            break
    seconds = time.perf_counter() - started
    return {"cases": done, "matched": matched, "seconds": round(seconds, 1),
            "cases_per_s": round(done / seconds, 1),
            "rss_mb_after_a_tenth": round(early_mb, 1), "rss_mb_at_end": round(resident_mb(), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--events", type=int, default=1000, help="events in the long case")
    parser.add_argument("--cases", type=int, default=10000, help="short cases for --all")
    parser.add_argument("--accept-cases", type=int, default=200,
                        help="new business accept-path cases for --all, besides --cases")
    parser.add_argument("--batch", type=int, default=200, help="cases per transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/replay.db"
        uow = fresh_database(url, ROOT / "bench" / "fixtures")
        with uow() as work:
            processes.deploy(work.session, "bench", ROOT)
            work.commit()
        figures: dict[str, Any] = {"database": url.split(":", 1)[0]}
        case_id, events = long_case(uow, args.events)
        timings = time_long_replay(uow, case_id)
        figures["long_case_events"] = events
        figures["long_case_replay_s_median"] = round(statistics.median(timings), 3)
        figures["long_case_replay_s_max"] = round(max(timings), 3)
        created = many_cases(uow, args.cases, args.accept_cases)
        figures["created_cases"] = args.cases + args.accept_cases
        figures["creating_them_s"] = round(created, 1)
        figures["replay_all"] = replay_all(uow, args.cases + args.accept_cases + 1, args.batch)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
