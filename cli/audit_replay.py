"""`insurflow audit replay`: prove a case (or every case) follows from its recorded inputs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from engine.values import to_display
from models import Case
from services.errors import ServiceError
from services.replay import BatchOutcome, ReplayReport, ReplayStep, replay_batch, replay_case

from .errors import ROW_ID
from .output import uow, user_errors

BATCH = 200  # cases per transaction in --all: memory stays flat however many cases there are


@click.command("replay", help="Replay CASE_ID from the process version it ran on and its "
               "recorded inputs (no handler runs) and compare with the stored state; exit 1 "
               "on any difference. --to N shows the state after event N; --all replays every "
               "case and prints a summary.")
@click.argument("case_id", type=ROW_ID, required=False)
@click.option("--to", "to_seq", type=click.IntRange(min=1), metavar="N",
              help="Show the replayed state after event N.")
@click.option("--all", "every_case", is_flag=True, help="Replay every case.")
@click.option("--batch", type=click.IntRange(min=1), default=BATCH, show_default=True,
              help="With --all: cases read per transaction.")
@with_appcontext
def replay(case_id: int | None, to_seq: int | None, every_case: bool, batch: int) -> None:
    if every_case == (case_id is not None):
        raise click.UsageError("give a CASE_ID or --all (not both)")
    if every_case:
        if to_seq is not None:
            raise click.UsageError("--to needs a single CASE_ID")
        sys.exit(_replay_all(batch))
    assert case_id is not None
    with user_errors(), uow() as work:
        try:
            report = replay_case(work.session, case_id, to_seq)
        except (ServiceError, SQLAlchemyError):
            raise  # a message from the command group (e.g. run `db upgrade` first)
        except Exception as error:  # noqa: BLE001 - a message, never a traceback
            click.echo(f"error: case {case_id} could not be replayed: "
                       f"{type(error).__name__}: {error}", err=True)
            sys.exit(1)
    if to_seq is not None:
        _print_state(report, to_seq)
    _print_outcome(report, to_seq)
    sys.exit(0 if report.matches else 1)


def _name(report: ReplayReport) -> str:
    return f"case {report.case_id} ({report.business_key or 'no business key'})"


def _print_outcome(report: ReplayReport, to_seq: int | None) -> None:
    what = "stored state" if to_seq is None else f"recorded events up to event {to_seq}"
    if report.matches:
        click.echo(f"{_name(report)}: replay matches the {what} "
                   f"({report.events} events, {report.version})")
        return
    click.echo(f"{_name(report)}: replay differs from the {what} ({report.events} "
               f"events, {report.version}):", err=True)
    for difference in report.differences:
        click.echo(f"  - {difference}", err=True)


def _print_state(report: ReplayReport, to_seq: int) -> None:
    step: ReplayStep | None = report.steps[-1] if report.steps else None
    if step is None:
        click.echo(f"{_name(report)}: no state after event {to_seq}")
        return
    click.echo(f"{_name(report)} after event {step.seq} ({step.kind}):")
    click.echo(f"completed: {', '.join(step.completed) or 'nothing yet'}")
    click.echo(f"current: {', '.join(step.current) or 'nothing (the case has ended)'}")
    click.echo("data:")
    click.echo(json.dumps(to_display(step.data), indent=2, sort_keys=True))


@dataclass
class _Tally:
    cases: int = 0
    matched: int = 0
    diverged: int = 0
    failed: int = 0


def _replay_all(batch: int) -> int:
    with uow() as work:
        total = work.session.scalar(select(func.count()).select_from(Case)) or 0
    tally, started = _Tally(), time.perf_counter()
    if sys.stdout.isatty():
        with click.progressbar(length=total, label="replaying", file=sys.stderr) as bar:
            for _ in _replay_every_case(batch, tally):
                bar.update(1)
    else:
        for count in _replay_every_case(batch, tally):
            if count % 1000 == 0:
                click.echo(f"replayed {count} of {total} cases")
    seconds = max(time.perf_counter() - started, 1e-9)
    click.echo(f"{tally.cases} cases: {tally.matched} matched, {tally.diverged} diverged, "
               f"{tally.failed} failed to replay ({tally.cases / seconds:.1f} cases/second)")
    return 0 if tally.matched == tally.cases else 1


def _replay_every_case(batch: int, tally: _Tally) -> Iterator[int]:
    """Replay case after case, one transaction per batch; yields the running count."""
    last_id = 0
    while True:
        seen = 0
        with uow() as work:
            for outcome in replay_batch(work.session, last_id, batch):
                seen, last_id = seen + 1, outcome.case_id
                _count(outcome, tally)
                yield tally.cases
        if seen == 0:
            return


def _count(outcome: BatchOutcome, tally: _Tally) -> None:
    tally.cases += 1
    report = outcome.report
    if report is None:
        tally.failed += 1
        click.echo(f"case {outcome.case_id}: replay failed: {outcome.error}", err=True)
    elif report.matches:
        tally.matched += 1
    else:
        tally.diverged += 1
        click.echo(f"{_name(report)}: {report.differences[0]}", err=True)
