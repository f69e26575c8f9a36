"""Printing for the CLI: JSON for machines, short lines for people, errors without traces."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app

from services.errors import DeployRejected, InvalidInput, ServiceError
from services.unit_of_work import UnitOfWork


def uow() -> UnitOfWork:
    return UnitOfWork(current_app.extensions["insurflow.sessions"])


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def parse_json_option(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON: {error.msg} at column {error.colno}",
                                 param_hint=option) from error


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain errors into a message on stderr and exit code 1."""
    try:
        yield
    except ServiceError as error:
        click.echo(f"error: {error}", err=True)
        if isinstance(error, InvalidInput):
            for field, problems in error.field_errors.items():
                click.echo(f"  {field}: {' '.join(problems)}", err=True)
        if isinstance(error, DeployRejected):
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
        sys.exit(1)


def table(rows: list[dict[str, Any]], columns: list[str],
          fmt: Callable[[Any], str] = lambda v: "" if v is None else str(v)) -> None:
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(len(c), *(len(fmt(r.get(c))) for r in rows)) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(fmt(row.get(c)).ljust(widths[c]) for c in columns))
