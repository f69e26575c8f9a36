"""Instructions per accept-path case: persisted on SQLite, in memory through engine.CaseRuntime
and in bare SpiffWorkflow (prints figures).

bench_core.py measures seconds, and on a shared machine seconds drift by more than most
changes gain. Valgrind's callgrind counts the instructions a process executes instead: the
same count for the same code and inputs whatever else the machine is doing. Each figure is
(a run with N cases - the same run with 0 cases) / N, so start-up, imports and the warm-up
cases cancel out. Instructions are not time (the persisted path runs more distinct code, so
it gets fewer instructions per cycle than the in-memory loop), but a change that removes
work shows here at once and reliably. Needs `valgrind`; runs under it take minutes.

Usage: python bench/bench_core_instructions.py [--cases N]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 3
MODES = ("persisted", "memory", "bare")


def child(mode: str, cases: int) -> None:
    """Run inside valgrind: warm up, then `cases` accept-path cases of `mode`."""
    sys.path.insert(0, str(ROOT))
    from bench.support import (
        fresh_database,
        memory_ceiling,
        new_business_case,
        recorded_service_results,
    )

    with tempfile.TemporaryDirectory() as tmp:
        uow = fresh_database(f"sqlite:///{tmp}/instructions.db")
        for number in range(WARM_UP):
            new_business_case(uow, number)
        from services.heap import freeze_startup_heap

        if mode == "persisted":
            freeze_startup_heap()  # as the app and the worker do once started
            for number in range(WARM_UP, WARM_UP + cases):
                new_business_case(uow, number)
            return
        from bench.bare_spiff import bare_ceiling

        ceiling = memory_ceiling if mode == "memory" else bare_ceiling
        results = recorded_service_results(uow)
        ceiling(results, WARM_UP)
        freeze_startup_heap()
        ceiling(results, cases)  # with 0 cases too: both runs then do the same setup


def instructions(mode: str, cases: int) -> int:
    """Instructions the whole child process executed (callgrind's `I refs`)."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", mode, "--cases", str(cases)],
        capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cases)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    runs = [(mode, n) for mode in MODES for n in (0, args.cases)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # counts do not depend on the load
        counts = dict(zip(runs, pool.map(lambda run: instructions(*run), runs), strict=True))
    per_case = {mode: (counts[(mode, args.cases)] - counts[(mode, 0)]) / args.cases
                for mode in MODES}
    print(json.dumps({
        "sqlite_instructions_per_case_millions": round(per_case["persisted"] / 1e6, 1),
        "bare_spiffworkflow_instructions_per_case_millions": round(per_case["bare"] / 1e6, 1),
        "sqlite_share_of_bare_spiffworkflow_by_instructions":
            f"{per_case['bare'] / per_case['persisted']:.0%}",
        "memory_instructions_per_case_millions": round(per_case["memory"] / 1e6, 1),
        "sqlite_share_of_ceiling_by_instructions":
            f"{per_case['memory'] / per_case['persisted']:.0%}",
    }, indent=2))


if __name__ == "__main__":
    main()
