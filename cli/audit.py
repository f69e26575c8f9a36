"""`insurflow audit`: prove a case history was not altered, and export it for outside checks.

Other audit commands join the same group: define them with `@audit_group.command(...)`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from services import audit_export, audit_verify
from services.unit_of_work import UnitOfWork

from .audit_replay import replay
from .errors import ROW_ID, GuardedGroup
from .output import uow, user_errors

PLAIN_PROGRESS_EVERY = 1000
BAR_STEP = 50


@click.group("audit", cls=GuardedGroup,
             help="Check case histories for tampering, replay them, export them.")
def audit_group() -> None:
    pass


audit_group.add_command(replay)

@contextmanager
def snapshot() -> Iterator[UnitOfWork]:
    """A read-only unit of work that sees one moment of the database from its first query.

    Without it a case committed mid-run could show a new head beside older events. SQLite
    reads in one transaction already see one snapshot; PostgreSQL needs REPEATABLE READ.
    """
    with uow() as work:
        if work.session.get_bind().dialect.name == "postgresql":
            work.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield work


@audit_group.command("verify", help="Check the hash chain of case CASE_ID, or of every case "
                     "with --all, and compare the payments, policies and claims each case "
                     "wrote with the values its history last recorded. Exit status 1 when "
                     "any history was altered or any such record differs.")
@click.argument("case_id", type=ROW_ID, required=False)
@click.option("--all", "all_cases", is_flag=True, help="Check every case (with a summary).")
def audit_verify_command(case_id: int | None, all_cases: bool) -> None:
    if (case_id is None) == (not all_cases):
        raise click.UsageError("give either a CASE_ID or --all")
    if case_id is not None:
        with user_errors(), snapshot() as work:
            check = audit_verify.verify_case(work.session, case_id)
        click.echo(check.sentence())
        sys.exit(0 if check.sound else 1)
    with snapshot() as work:
        troubled = _verify_every_case(work.session)
    sys.exit(1 if troubled else 0)


def _verify_every_case(session: Session) -> int:
    """Check all cases, printing problems as found and a summary; returns cases with problems."""
    total = audit_verify.count_cases(session)
    cases = events = records = 0
    troubled: list[audit_verify.CaseCheck] = []
    started = time.perf_counter()
    with _progress(total) as advance:
        for check in audit_verify.verify_all(session):
            cases, events, records = cases + 1, events + check.events, \
                records + check.records_compared
            if not check.sound:
                troubled.append(check)
                click.echo(("\r\033[K" if sys.stdout.isatty() else "") + check.sentence())
            advance(cases)
    elapsed = max(time.perf_counter() - started, 1e-9)
    click.echo(f"checked {cases} cases and {events} events in {elapsed:.1f} s "
               f"({cases / elapsed:.0f} cases/s, {events / elapsed:.0f} events/s); "
               f"compared {records} business records with their history")
    if not troubled:
        click.echo("every business record matches its history")
        click.echo("every history is intact")
        return 0
    click.echo(_trouble_counts(troubled))
    click.echo(f"{len(troubled)} of {cases} cases have problems")
    return len(troubled)


def _trouble_counts(troubled: list[audit_verify.CaseCheck]) -> str:
    broken = sum(1 for check in troubled if not check.intact)
    differing = [check for check in troubled if check.records]
    differences = sum(len(check.records) for check in differing)
    return f"{broken} altered histor{'y' if broken == 1 else 'ies'}; {differences} business " \
           f"record difference{'' if differences == 1 else 's'} in {len(differing)} " \
           f"case{'' if len(differing) == 1 else 's'}"


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; elsewhere (logs, pipes) a plain line now and then."""
    if not sys.stdout.isatty():
        def say(done: int) -> None:
            if done % PLAIN_PROGRESS_EVERY == 0:
                click.echo(f"checked {done} of {total} cases")
        yield say
        return
    with click.progressbar(length=total, label="Verifying cases", file=sys.stdout) as bar:
        def step(done: int) -> None:
            if done % BAR_STEP == 0:  # redrawing per case would cost more than checking it
                bar.update(BAR_STEP)
        yield step
        bar.update(max(total - bar.pos, 0))


@audit_group.command("export", help="Write the full history of case CASE_ID as JSON, with "
                     "the hashes needed to verify it outside Insurflow (docs/audit.md).")
@click.argument("case_id", type=ROW_ID)
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False),
              help="Write to FILE instead of standard output.")
def audit_export_command(case_id: int, output: str | None) -> None:
    with user_errors(), snapshot() as work:
        document = audit_export.export_case(work.session, case_id)
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        click.echo(f"error: cannot write {output}: {error.strerror}", err=True)
        sys.exit(1)
    click.echo(f"wrote the history of case {case_id} ({len(document['events'])} events) "
               f"to {output}")
