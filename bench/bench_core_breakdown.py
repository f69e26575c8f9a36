"""Where an accept-path case's time goes on SQLite, by layer (prints figures; not a test).

bench_core.py says how fast the persisted path is against the in-memory ceiling; this says
what the difference is made of, and so which changes could close it. It samples the running
stack on a CPU-time timer (SIGPROF, as statistical profilers do: a signal that arrives during a
C call is handled when the call returns, in the frame that made it, so time in SQLite is not
misattributed) and files each sample under the first layer that matches, innermost first:

- `sqlite`: inside the SQLite library (the driver's execute, executemany, commit or rollback,
  called by SQLAlchemy or on the driver's cursor by models/direct.py and models/db.py);
- `sqlalchemy`: elsewhere inside SQLAlchemy (ORM, statement execution, results, transactions);
- otherwise the layer of the innermost frame in our code or SpiffWorkflow (library code such
  as json or jsonschema counts for its caller):
  - `handlers`: the service-task handlers' own Python;
  - `state_rows`: turning the task tree into rows and digests (engine/state.py);
  - `services`: the service layer (audit chain, human tasks, forms, jobs, the step itself);
  - `engine`: SpiffWorkflow and the rest of engine/ (what the in-memory ceiling also does);
  engine/values.py (JSON conversion) and engine/clock.py count for their caller.

It then prints the share of the ceiling the persisted path would reach if a layer cost nothing:
an upper bound on what removing that layer's cost could gain.

Usage: python bench/bench_core_breakdown.py [--cases N]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402
    fresh_database,
    memory_ceiling,
    new_business_case,
    recorded_service_results,
)
from services.heap import freeze_startup_heap  # noqa: E402

LAYERS = ("sqlite", "sqlalchemy", "handlers", "state_rows", "services", "engine")
# SQLAlchemy's calls into the driver: a sample there is time in SQLite itself
_DRIVER_CALLS = frozenset({"do_execute", "do_executemany", "do_commit", "do_rollback"})
# our own calls into the driver's cursor (file, function)
_OWN_DRIVER_CALLS = frozenset({(f"{ROOT}/models/direct.py", "_run"),
                               (f"{ROOT}/models/direct.py", "_read"),
                               (f"{ROOT}/models/direct.py", "_first_value"),
                               (f"{ROOT}/models/db.py", "_run_on_cursor")})
_INTERVAL_S = 0.0005  # asked for; the kernel's timer tick may make it coarser
# Innermost match wins: library code (json, jsonschema, hashlib) and the shared helpers in
# _TRANSPARENT count for their caller.
_TRANSPARENT = (f"{ROOT}/engine/values.py", f"{ROOT}/engine/clock.py")
_OWN_LAYERS = ((f"{ROOT}/handlers/", "handlers"), (f"{ROOT}/engine/state.py", "state_rows"),
               (f"{ROOT}/services/", "services"), (f"{ROOT}/bench/", "services"),
               (f"{ROOT}/engine/", "engine"), ("/SpiffWorkflow/", "engine"))


def layer_of(frame: FrameType | None) -> str:
    """The layer a sample belongs to: SQLAlchemy's (or SQLite's) if SQLAlchemy is anywhere on
    the stack, else that of the innermost frame in our code or SpiffWorkflow."""
    innermost, found = frame, None
    if frame is not None and (frame.f_code.co_filename, frame.f_code.co_name) in _OWN_DRIVER_CALLS:
        return "sqlite"
    while frame is not None:
        path = frame.f_code.co_filename
        if "/sqlalchemy/" in path:
            return "sqlite" if innermost is frame and frame.f_code.co_name in _DRIVER_CALLS \
                else "sqlalchemy"
        if found is None and not path.startswith(_TRANSPARENT):
            found = next((layer for part, layer in _OWN_LAYERS if part in path), None)
        frame = frame.f_back
    return found or "services"


def sampled_run(cases: int) -> tuple[float, Counter[str], float]:
    """(persisted seconds per case, samples by layer, in-memory seconds per case)."""
    with tempfile.TemporaryDirectory() as tmp:
        uow = fresh_database(f"sqlite:///{tmp}/breakdown.db")
        for number in range(3):  # warm caches (parse, compile) outside the sampling
            new_business_case(uow, number)
        results = recorded_service_results(uow)
        memory_ceiling(results, 3)
        freeze_startup_heap()  # as the app and the worker do once started
        samples: Counter[str] = Counter()

        def sample(_signum: int, frame: FrameType | None) -> None:
            samples[layer_of(frame)] += 1

        previous = signal.signal(signal.SIGPROF, sample)
        signal.setitimer(signal.ITIMER_PROF, _INTERVAL_S, _INTERVAL_S)
        try:
            started = time.perf_counter()
            for number in range(3, 3 + cases):
                new_business_case(uow, number)
            persisted = (time.perf_counter() - started) / cases
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, previous)
        memory = 1 / memory_ceiling(results, cases)
    return persisted, samples, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    persisted, samples, memory = sampled_run(args.cases)
    total = sum(samples.values())
    fraction = {layer: samples[layer] / total for layer in LAYERS}
    ms = {layer: round(persisted * fraction[layer] * 1000, 2) for layer in LAYERS}

    def share_without(*layers: str) -> str:
        left = persisted * (1 - sum(fraction[layer] for layer in layers))
        return f"{memory / left:.0%}"

    print(json.dumps({
        "persisted_ms_per_case": round(persisted * 1000, 2),
        "memory_ms_per_case": round(memory * 1000, 2),
        "share_of_ceiling": f"{memory / persisted:.0%}",
        "samples": total,
        "ms_per_case_by_layer": ms,
        "share_if_free": {
            "sqlalchemy": share_without("sqlalchemy"),
            "sqlalchemy_and_sqlite": share_without("sqlalchemy", "sqlite"),
            "sqlalchemy_sqlite_and_state_rows": share_without("sqlalchemy", "sqlite",
                                                              "state_rows"),
            "all_but_engine": share_without("sqlalchemy", "sqlite", "handlers", "state_rows",
                                            "services"),
        },
    }, indent=2))


if __name__ == "__main__":
    main()
