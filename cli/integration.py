"""`insurflow messages` and `insurflow incidents`: what comes from outside and what got stuck."""

from __future__ import annotations

import sys

import click

from services import incidents, messages
from services.actors import active_actor
from services.incidents import Resolution
from web.present import incident_json, message_json

from .errors import EXIT_INCIDENT, ROW_ID, GuardedGroup
from .output import emit_json, json_flag, parse_json_option, table, uow, user_errors

user_option = click.option("--user", required=True,
                           help="Who acts (audited): an active user.")
admin_option = click.option("--user", required=True,
                            help="Who acts (audited): an active user with the admin role.")


@click.group("messages", cls=GuardedGroup, help="Send messages from outside to waiting cases.")
def messages_group() -> None:
    pass


@messages_group.command("send", help="Send message NAME about business number KEY; exit 1 "
                        "when no case takes it (unknown key, or not waiting).")
@click.argument("name")
@click.option("--key", required=True, help="Application, policy or claim number.")
@click.option("--payload", default="{}", help="The message payload as a JSON object.")
@click.option("--id", "message_id", help="The sender's message id (repeats change nothing).")
@user_option
@json_flag
def messages_send(name: str, key: str, payload: str, message_id: str | None, user: str,
                  as_json: bool) -> None:
    data = parse_json_option(payload, "--payload")
    with user_errors(), uow() as work:
        sender = active_actor(work.session, user).username
        outcome = messages.receive_message(work.session, name, key, data, message_id, sender)
        work.commit()
        shown = message_json(outcome)
    if as_json:
        emit_json(shown)
    else:
        again = " (already received: nothing changed)" if shown["duplicate"] else ""
        click.echo(f"message {shown['id']}: {shown['outcome']}, {shown['detail']}{again}",
                   err=not outcome.delivered)
    if not outcome.delivered:
        sys.exit(1)


@click.group("incidents", cls=GuardedGroup, help="Open incidents: list, retry or skip them.")
def incidents_group() -> None:
    pass


@incidents_group.command("list", help="Open incidents, oldest first.")
@json_flag
def incidents_list(as_json: bool) -> None:
    with uow() as work:
        rows = [{**incident_json(row.incident), "business_key": row.case.business_key}
                for row in incidents.list_open_incidents(work.session)]
    emit_json(rows) if as_json else table(rows, ["id", "case_id", "business_key", "element_id",
                                                 "message", "created_at"])


@incidents_group.command("retry", help="Run the failed step of incident ID again; exit 3 "
                         "when the case is still stopped at an incident.")
@click.argument("incident_id", type=ROW_ID)
@admin_option
@json_flag
def incidents_retry(incident_id: int, user: str, as_json: bool) -> None:
    with user_errors(), uow() as work:
        admin = active_actor(work.session, user, *incidents.RESOLVING_ROLES).username
        resolution = incidents.retry_incident(work.session, incident_id, admin)
        work.commit()
        _report(resolution, as_json)
        stopped = _stopped(resolution)
    if stopped:
        sys.exit(EXIT_INCIDENT)


@incidents_group.command("skip", help="Complete the failed step of incident ID without "
                         "running it; the reason is kept in the case history. Exit 3 when the case "
                         "stopped at an incident again.")
@click.argument("incident_id", type=ROW_ID)
@click.option("--reason", required=True, help="Why the step may be skipped.")
@admin_option
@json_flag
def incidents_skip(incident_id: int, reason: str, user: str, as_json: bool) -> None:
    with user_errors(), uow() as work:
        admin = active_actor(work.session, user, *incidents.RESOLVING_ROLES).username
        resolution = incidents.skip_incident(work.session, incident_id, reason, admin)
        work.commit()
        _report(resolution, as_json)
        stopped = _stopped(resolution)
    if stopped:
        sys.exit(EXIT_INCIDENT)


def _report(resolution: Resolution, as_json: bool) -> None:
    again = resolution.new_incident
    if as_json:
        emit_json({"incident": incident_json(resolution.incident),
                   "case": {"id": resolution.case.id, "status": resolution.case.status},
                   "new_incident": incident_json(again) if again else None})
        return
    click.echo(f"incident {resolution.incident.id} {resolution.incident.status}; case "
               f"{resolution.case.id} is {resolution.case.status}")
    if again:
        click.echo(f"the step failed again: incident {again.id}: {again.message}", err=True)


def _stopped(resolution: Resolution) -> bool:
    """The case is still (or again) stopped at an incident: the exit status says so."""
    return resolution.new_incident is not None or resolution.case.status == "incident"
