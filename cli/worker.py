"""`insurflow worker` (run background jobs) and `insurflow jobs status`."""

from __future__ import annotations

import logging
import signal
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from services import heap
from services.job_status import jobs_status
from services.worker import Worker, WorkerOptions, postgres_waiter

from .errors import GuardedCommand, GuardedGroup
from .output import emit_json, json_flag, table, uow


@click.command(
    "worker", cls=GuardedCommand, help="Run due timers, background service tasks and retries "
    "until SIGTERM/Ctrl-C (the current job is finished, the rest given back). Start any "
    "number on PostgreSQL; one on SQLite.")
@click.option("--worker-id", help="Name shown in `jobs status` (default: host-pid).")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option("--max-jobs", type=click.IntRange(min=1), help="Exit after this many jobs.")
@click.option("--lease", type=click.FloatRange(min=1.0), default=300.0, show_default=True,
              help="Seconds a taken job stays ours; after that another worker retakes it.")
@click.option("--batch", type=click.IntRange(min=1), default=5, show_default=True,
              help="Jobs taken per claim.")
@with_appcontext
def worker_command(worker_id: str | None, once: bool, max_jobs: int | None, lease: float,
                   batch: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("insurflow").setLevel(logging.INFO)  # not SpiffWorkflow's task chatter
    options = WorkerOptions(lease=timedelta(seconds=lease), batch=batch, once=once,
                            max_jobs=max_jobs)
    if worker_id:
        options.worker_id = worker_id
    engine = current_app.extensions["insurflow.engine"]
    waiter = postgres_waiter(engine) if engine.dialect.name == "postgresql" else None
    worker = Worker(current_app.extensions["insurflow.sessions"], options, waiter)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    heap.freeze_startup_heap()
    click.echo(f"worker {options.worker_id} started", err=True)
    done = worker.run()
    click.echo(f"worker {options.worker_id} stopped after {done} job(s)", err=True)


@click.group("jobs", cls=GuardedGroup, help="The background job queue.")
def jobs_group() -> None:
    pass


@jobs_group.command("status", help="Queued, running, failed and due-soon jobs; workers "
                    "and their state (idle, busy, dead: no heartbeat for 15 s, stopped).")
@json_flag
def jobs_status_command(as_json: bool) -> None:
    with uow() as work:
        status = jobs_status(work.session)
    if as_json:
        emit_json(status.as_json())
        return
    counts = ", ".join(f"{name} {count}" for name, count in status.counts.items())
    click.echo(f"jobs: {counts}; overdue {status.overdue}")
    for title, lines in (("running", status.running), ("due soon", status.due_soon),
                         ("failed", status.failed)):
        click.echo(f"\n{title}:")
        table(_rows(lines), ["id", "kind", "case_id", "element_id", "due_at", "attempts",
                             "lease_owner", "last_error"])
    click.echo("\nworkers:")
    table(_rows(status.workers), ["worker_id", "state", "host", "pid", "last_heartbeat_at",
                                  "current_job_id", "jobs_done"])


def _rows(lines: list[Any]) -> list[dict[str, Any]]:
    return [asdict(line) for line in lines]
