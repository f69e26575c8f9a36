"""Errors on the command line: one clear message, JSON under --json, never a traceback.

Exit status: 0 done; 1 refused or failed (bad input, unknown id, not permitted, database not
ready); 2 the command was called wrongly (usage); 3 the command was carried out but the case
stopped at an incident (`EXIT_INCIDENT`). Under --json an error is one JSON object on
standard output, `{"error": "...", ...details}`, so a script reads one stream; without
--json it is `error: ...` on standard error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from services.errors import DeployRejected, InvalidInput, ServiceError

EXIT_INCIDENT = 3
# Ids are 32-bit integers on PostgreSQL: a larger number is a usage error, not a database one.
ROW_ID = click.IntRange(min=1, max=2**31 - 1)
ROOT = Path(__file__).resolve().parent.parent
_JSON_META = "insurflow.json"
_Callback = TypeVar("_Callback", bound=Callable[..., Any])


def _remember_json(ctx: click.Context, _: click.Parameter, value: bool) -> bool:
    ctx.meta[_JSON_META] = ctx.meta.get(_JSON_META, False) or value
    return value


def json_flag(function: _Callback) -> _Callback:
    """The --json option; eager, so even an error in a later option is reported as JSON."""
    option = click.option("--json", "as_json", is_flag=True, is_eager=True,
                          callback=_remember_json, help="Print JSON for machines.")
    return option(function)


def wants_json() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(_JSON_META))


class CliFailure(click.ClickException):
    """A failure to report as one message (and details), as JSON when --json was given.

    `details` go into the JSON object; `lines` are their text for people."""

    def __init__(self, message: str, details: dict[str, Any] | None = None,
                 lines: list[str] | None = None, as_json: bool | None = None) -> None:
        super().__init__(message)
        self.details = details or {}
        self.lines = lines or []
        self.as_json = wants_json() if as_json is None else as_json

    def show(self, file: IO[Any] | None = None) -> None:
        if self.as_json:
            click.echo(json.dumps({"error": self.message, **self.details}, indent=2,
                                  default=str))
            return
        click.echo(f"error: {self.message}", err=True)
        for line in self.lines:
            click.echo(f"  {line}", err=True)


class UsageFailure(CliFailure):
    """A usage error (exit 2) reported as JSON under --json."""

    exit_code = 2


def service_failure(error: ServiceError) -> CliFailure:
    if isinstance(error, InvalidInput) and error.field_errors:
        return CliFailure(str(error), {"fields": error.field_errors},
                          [f"{field}: {' '.join(problems)}"
                           for field, problems in error.field_errors.items()])
    if isinstance(error, DeployRejected):
        return CliFailure(str(error), {"problems": error.problems}, list(error.problems))
    return CliFailure(str(error))


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain errors into a message and exit code 1."""
    try:
        yield
    except ServiceError as error:
        raise service_failure(error) from error


def _first_line(error: BaseException) -> str:
    cause = error.orig if isinstance(error, DBAPIError) else error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def schema_heads(engine: Engine) -> tuple[set[str], set[str]]:
    """The database's Alembic revisions and this code's newest ones."""
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    newest = set(ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_heads())
    return current, newest


def database_failure(ctx: click.Context, error: SQLAlchemyError) -> CliFailure:
    """Say what to do: most database errors on the command line mean a missing schema."""
    try:
        engine = ctx.ensure_object(ScriptInfo).load_app().extensions["insurflow.engine"]
        current, newest = schema_heads(engine)
    except Exception:  # noqa: BLE001 - the database cannot even be read: say why, once
        return CliFailure(f"cannot use the database: {_first_line(error)}")
    if ctx.command.name == "db":  # `db upgrade` itself failed: say how
        return CliFailure(f"the upgrade failed: {_first_line(error)}")
    if not current:
        return CliFailure("the database has no Insurflow tables yet: run `insurflow db "
                          "upgrade` first")
    if current != newest:
        return CliFailure(f"the database schema is at revision {', '.join(sorted(current))}, "
                          f"this Insurflow needs {', '.join(sorted(newest))}: run `insurflow db "
                          "upgrade` first")
    return CliFailure(f"database error: {_first_line(error)}")


def _translated(ctx: click.Context, error: Exception, json_in_args: bool) -> Exception | None:
    if isinstance(error, CliFailure):
        return None
    if isinstance(error, click.UsageError):  # --json may not be parsed yet: look at the args
        json_asked = wants_json() or json_in_args
        return UsageFailure(error.format_message(), as_json=True) if json_asked else None
    if isinstance(error, click.ClickException):
        return CliFailure(error.format_message()) if wants_json() else None
    if isinstance(error, ServiceError):
        return service_failure(error)
    if isinstance(error, SQLAlchemyError):
        return database_failure(ctx, error)
    return None


def guarded_invoke(ctx: click.Context, invoke: Callable[[click.Context], Any]) -> Any:
    json_in_args = "--json" in ctx.args
    try:
        return invoke(ctx)
    except Exception as error:
        translated = _translated(ctx, error, json_in_args)
        if translated is None:
            raise
        raise translated from error


class GuardedGroup(AppGroup):
    """A command group whose commands report expected errors as one line (or JSON)."""

    def invoke(self, ctx: click.Context) -> Any:
        return guarded_invoke(ctx, super().invoke)


class GuardedCommand(click.Command):
    def invoke(self, ctx: click.Context) -> Any:
        return guarded_invoke(ctx, super().invoke)
