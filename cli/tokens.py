"""`insurflow tokens`: API tokens of integration accounts (senders of messages).

A token is printed once, when it is made, and kept only as a digest: a lost token is
revoked and a new one made.
"""

from __future__ import annotations

from typing import Any

import click

from models import ApiToken
from services import tokens
from services.messages import message_names

from .errors import ROW_ID, GuardedGroup
from .output import emit_json, json_flag, table, uow, user_errors


@click.group("tokens", cls=GuardedGroup, help="API tokens of integration accounts, which send "
             "messages to /api/v1/messages.")
def tokens_group() -> None:
    pass


@tokens_group.command("create", help="Make a token for integration account ACCOUNT (added "
                      "if there is none) and print it once.")
@click.argument("account")
@click.option("--messages", "messages_text", required=True,
              help="Comma-separated message names the token may send, any of: "
                   + ", ".join(message_names()) + ".")
@click.option("--name", help="A label to tell tokens apart, e.g. the sending system.")
@json_flag
def tokens_create(account: str, messages_text: str, name: str | None, as_json: bool) -> None:
    with user_errors(), uow() as work:
        made = tokens.create_token(work.session, account, messages_text.split(","), name)
        work.commit()
        shown = {**_row(made.token, made.account), "token": made.secret}
    if as_json:
        emit_json(shown)
        return
    click.echo(f"token {shown['id']} for {shown['account']} ({', '.join(shown['messages'])}):")
    click.echo(made.secret)
    click.echo("Keep it now: it is not shown again.", err=True)


@tokens_group.command("list", help="Every token (never the secret itself), revoked ones too.")
@json_flag
def tokens_list(as_json: bool) -> None:
    with uow() as work:
        rows = [_row(token, account) for token, account in tokens.list_tokens(work.session)]
    if as_json:
        emit_json(rows)
        return
    table([{**row, "messages": ",".join(row["messages"])} for row in rows],
          ["id", "account", "name", "prefix", "messages", "created_at", "last_used_at",
           "revoked_at"])


@tokens_group.command("revoke", help="Revoke token ID at once (see `tokens list`).")
@click.argument("token_id", type=ROW_ID)
def tokens_revoke(token_id: int) -> None:
    with user_errors(), uow() as work:
        token = tokens.revoke_token(work.session, token_id)
        work.commit()
        click.echo(f"token {token.id} ({token.prefix}) is revoked")


def _row(token: ApiToken, account: str) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {"id": token.id, "account": account, "name": token.name, "prefix": token.prefix,
            "messages": list(token.messages), "created_at": when(token.created_at),
            "last_used_at": when(token.last_used_at), "revoked_at": when(token.revoked_at)}
