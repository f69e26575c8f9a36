"""Printing for the CLI: JSON for machines, short lines for people, errors without traces."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from sqlalchemy.orm import Session

from services import cases, incidents
from services.unit_of_work import UnitOfWork
from web.present import incident_json

from .errors import EXIT_INCIDENT, UsageFailure
from .errors import json_flag as json_flag
from .errors import user_errors as user_errors


def uow() -> UnitOfWork:
    return UnitOfWork(current_app.extensions["insurflow.sessions"])


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def parse_json_option(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageFailure(f"{option} is not valid JSON: {error.msg} at line {error.lineno} "
                         f"column {error.colno}") from error


def table(rows: list[dict[str, Any]], columns: list[str],
          fmt: Callable[[Any], str] = lambda v: "" if v is None else str(v)) -> None:
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(len(c), *(len(fmt(r.get(c))) for r in rows)) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(fmt(row.get(c)).ljust(widths[c]) for c in columns))


def stopped_at(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The open incidents of a case that stopped at one (status `incident`), else none."""
    if cases.get_case(session, case_id).status != "incident":
        return []
    return [incident_json(i) for i in incidents.open_incidents_of(session, case_id)]


def exit_if_stopped(case_id: int, stopped: list[dict[str, Any]], as_json: bool) -> None:
    """Exit with EXIT_INCIDENT when the case did not move on, saying where it stopped."""
    if not stopped:
        return
    if not as_json:
        for incident in stopped:
            click.echo(f"case {case_id} stopped at an incident: incident {incident['id']} at "
                       f"{incident['element_id']}: {incident['message']}", err=True)
    sys.exit(EXIT_INCIDENT)
