"""Insurflow's commands, registered on the Flask app (so `flask --app app ...` works too)."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app

from services import cases, processes, tasks
from services.actors import active_actor
from web.present import case_json, case_view_json, task_json, version_json

from .audit import audit_group
from .demo import demo
from .errors import ROW_ID, GuardedGroup
from .integration import incidents_group, messages_group
from .output import (
    emit_json,
    exit_if_stopped,
    json_flag,
    parse_json_option,
    stopped_at,
    table,
    uow,
    user_errors,
)
from .tokens import tokens_group
from .users import users_group
from .worker import jobs_group, worker_command

ROOT = Path(__file__).resolve().parent.parent


@click.group(cls=GuardedGroup, help="Database schema (Alembic migrations).")
def db() -> None:
    pass


@db.command("upgrade", help="Apply every migration up to the newest schema.")
def db_upgrade() -> None:
    upgrade_database()
    click.echo("database is at the newest schema")


def upgrade_database() -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with current_app.extensions["insurflow.engine"].begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@click.group("processes", cls=GuardedGroup, help="Validate, deploy and list BPMN processes.")
def processes_group() -> None:
    pass


@processes_group.command("list", help="Deployed processes, newest version of each.")
@json_flag
def processes_list(as_json: bool) -> None:
    with uow() as work:
        rows = [version_json(v) for v in processes.list_versions(work.session)]
    emit_json(rows) if as_json else table(rows, ["process_id", "name", "version",
                                                 "deployed_at", "deployed_by"])


@processes_group.command("validate", help="Check every file under processes/; exit 1 on problems.")
@json_flag
def processes_validate(as_json: bool) -> None:
    bundles, problems = processes.validate_files()
    if as_json:
        emit_json({"processes": [b.process_id for b in bundles], "problems": problems})
    else:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{len(bundles)} process(es) checked, {len(problems)} problem(s)")
    if problems:
        raise SystemExit(1)


@processes_group.command("deploy", help="Deploy changed processes as new versions, all or none.")
@click.option("--user", default="cli", show_default=True, help="Who deploys (audited).")
@json_flag
def processes_deploy(user: str, as_json: bool) -> None:
    with user_errors(), uow() as work:
        outcomes = processes.deploy(work.session, user)
        work.commit()
    rows = [{"process_id": o.process_id, "version": o.version, "created": o.created}
            for o in outcomes]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        state = "deployed" if row["created"] else "unchanged"
        click.echo(f"{row['process_id']}: v{row['version']} {state}")


@click.group("cases", cls=GuardedGroup, help="Start and inspect cases (process instances).")
def cases_group() -> None:
    pass


@cases_group.command("start", help="Start a case of PROCESS with start data given as JSON; "
                     "exit 3 when the case stopped at an incident.")
@click.argument("process_id", metavar="PROCESS")
@click.option("--data", default="{}", help="Start form data as a JSON object.")
@click.option("--user", required=True,
              help="Who starts the case: an active user with the start lane's role.")
@json_flag
def cases_start(process_id: str, data: str, user: str, as_json: bool) -> None:
    payload = parse_json_option(data, "--data")
    with user_errors(), uow() as work:
        actor = active_actor(work.session, user)
        case = cases.start_case(work.session, process_id, payload, actor.username, actor.roles)
        work.commit()
        shown = case_json(case)
        stopped = stopped_at(work.session, shown["id"])
    emit_json({**shown, "open_incidents": stopped}) if as_json else click.echo(
        f"case {shown['id']} started ({shown['business_key'] or 'no key'}), {shown['status']}")
    exit_if_stopped(shown["id"], stopped, as_json)


@cases_group.command("show", help="A case with its open tasks, data and history.")
@click.argument("case_id", type=ROW_ID)
@json_flag
def cases_show(case_id: int, as_json: bool) -> None:
    with user_errors(), uow() as work:
        view = case_view_json(cases.show_case(work.session, case_id, viewer=None))
    if as_json:
        emit_json(view)
        return
    click.echo(f"case {view['id']} {view['business_key'] or ''} {view['process_id']} "
               f"v{view['process_version']['version']}: {view['status']}")
    for task in view["open_tasks"]:
        click.echo(f"  open task {task['id']}: {task['title']} ({task['role']})")
    for incident in view["incidents"]:
        click.echo(f"  incident at {incident['element_id']}: {incident['message']}")
    for event in view["events"]:
        click.echo(f"  {event['seq']:>4} {event['at'][:19]} {event['actor']:<12} "
                   f"{event['kind']} {event['element_id'] or ''}")


@click.group("tasks", cls=GuardedGroup, help="List and complete human tasks.")
def tasks_group() -> None:
    pass


@tasks_group.command("list", help="Open tasks, optionally for one role or assignee.")
@click.option("--role", help="Only tasks of this role (lane).")
@click.option("--assignee", help="Only tasks claimed by this user.")
@json_flag
def tasks_list(role: str | None, assignee: str | None, as_json: bool) -> None:
    with uow() as work:
        rows = [task_json(t) for t in tasks.list_open_tasks(work.session, role, assignee,
                                                            viewer=None)]
    emit_json(rows) if as_json else table(rows, ["id", "case_id", "title", "role", "due_at"])


@tasks_group.command("complete", help="Complete task ID with form data given as JSON; exit 3 "
                     "when the case stopped at an incident.")
@click.argument("task_id")
@click.option("--data", required=True, help="Form data as a JSON object.")
@click.option("--user", required=True,
              help="Who completes the task (audited): an active user with the task's role.")
@json_flag
def tasks_complete(task_id: str, data: str, user: str, as_json: bool) -> None:
    payload = parse_json_option(data, "--data")
    with user_errors(), uow() as work:
        actor = active_actor(work.session, user)
        task = tasks.complete_task(work.session, task_id, payload, actor.username, actor.roles)
        work.commit()
        shown = task_json(task)
        stopped = stopped_at(work.session, task.case_id)
    emit_json({**shown, "open_incidents": stopped}) if as_json else click.echo(
        f"completed '{shown['title']}' of case {shown['case_id']}")
    exit_if_stopped(shown["case_id"], stopped, as_json)


def register_commands(app: Flask) -> None:
    for group in (db, processes_group, cases_group, tasks_group, users_group, messages_group,
                  incidents_group, demo, worker_command, jobs_group, audit_group):
        app.cli.add_command(group)
    app.cli.add_command(tokens_group)
