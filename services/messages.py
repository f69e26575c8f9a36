"""Messages from outside: validate, find the case by its key, deliver once, record the outcome.

A message names what happened (`premium_payment_received`, ...), the business number it is
about and a payload checked against `messages/<name>.json`. Invalid payloads are refused
before anything is recorded (rules that read the case's data, once its case is found and
waits for the message); every valid message is recorded with its outcome, and a
message id seen before is answered with the first outcome without changing anything.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import NotWaitingForMessage, values
from engine.clock import current_time, one_instant
from models import Case, CaseKey, InboundMessage

from . import audit, case_store
from .cases import get_case
from .errors import Conflict, InvalidInput, PermissionDenied
from .forms import check_case_rules, load_schema, validate_form

MESSAGES_DIR = Path(__file__).resolve().parent.parent / "messages"
DELIVERED, UNKNOWN_KEY, NOT_WAITING = "delivered", "unknown_key", "not_waiting"


@dataclass(frozen=True)
class MessageOutcome:
    message: InboundMessage
    duplicate: bool

    @property
    def delivered(self) -> bool:
        return self.message.outcome == DELIVERED


def message_names() -> list[str]:
    return sorted(path.stem for path in MESSAGES_DIR.glob("*.json"))


@functools.cache
def message_schema(name: str) -> dict[str, Any]:
    if name not in message_names():
        raise InvalidInput("there is no such message", {
            "name": [f"Choose one of: {', '.join(message_names())}."]})
    return load_schema((MESSAGES_DIR / f"{name}.json").read_text())


def find_case_id(session: Session, key: str) -> int | None:
    """The case a business number belongs to: its own key, or one a handler attached.

    Only the id: the case row is read once, under its lock, so a version that moved on
    meanwhile is never mistaken for a conflict.
    """
    case_id = session.scalar(select(CaseKey.case_id).where(CaseKey.key == key))
    if case_id is None:
        case_id = session.scalar(select(Case.id).where(Case.business_key == key)
                                 .order_by(Case.id.desc()).limit(1))
    return case_id


@one_instant
def receive_message(session: Session, name: Any, key: Any, payload: Any,
                    message_id: Any, actor: str,
                    allowed: Collection[str] | None = None) -> MessageOutcome:
    """Deliver one message to the case waiting for it; the caller commits in every outcome.

    `allowed` lists the names the sender may send (an integration account's token); None is
    an operator on the server (`insurflow messages send`), who may send any.
    """
    name, key, message_id = _checked_envelope(name, key, message_id)
    if allowed is not None and name not in allowed:
        raise PermissionDenied(f"{actor} may not send the message '{name}'; its token allows: "
                               f"{', '.join(sorted(allowed)) or 'none'}")
    typed = validate_form(message_schema(name), payload)
    earlier = session.get(InboundMessage, message_id)
    if earlier is not None:
        return MessageOutcome(earlier, duplicate=True)
    case_id = find_case_id(session, key)
    if case_id is None:
        return _record(session, (message_id, name, key, typed, actor), UNKNOWN_KEY,
                       f"no case has the key {key}", None)
    case = get_case(session, case_id, for_update=True)  # one delivery per case at a time
    earlier = session.get(InboundMessage, message_id, populate_existing=True)
    if earlier is not None:  # the same message won the race while we waited for the lock
        return MessageOutcome(earlier, duplicate=True)
    return _deliver(session, case, (message_id, name, key, typed, actor))


Envelope = tuple[str, str, str, dict[str, Any], str]  # id, name, key, payload, actor


def _deliver(session: Session, case: Case, envelope: Envelope) -> MessageOutcome:
    message_id, name, key, typed, actor = envelope
    loaded = case_store.load(session, case)
    catcher = loaded.runtime.message_catcher(name)
    if catcher is not None:  # rules reading the case (x-rules) judge a message it waits for
        check_case_rules(message_schema(name), typed, loaded.runtime.case_data())
    try:
        result = loaded.runtime.deliver_message(name, typed)
    except NotWaitingForMessage:
        return _record(session, envelope, NOT_WAITING,
                       f"case {case.id} ({key}) is not waiting for the message '{name}'",
                       case.id)
    audit.record(session, case, "message_received", actor, catcher, {
        "message_id": message_id, "name": name, "key": key, "payload": typed})
    case_store.save(session, loaded, result)
    return _record(session, envelope, DELIVERED, f"delivered to case {case.id}", case.id)


def _record(session: Session, envelope: Envelope, outcome: str, detail: str,
            case_id: int | None) -> MessageOutcome:
    message_id, name, key, typed, actor = envelope
    message = InboundMessage(id=message_id, name=name, key=key,
                             payload=values.to_json_ready(typed), received_at=current_time(),
                             outcome=outcome, detail=detail, case_id=case_id,
                             received_by=actor)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError as error:  # the same id, from another request, a moment earlier
        raise Conflict(f"the message {message_id} arrived twice at the same moment; send it "
                       "again to get its outcome") from error
    return MessageOutcome(message, duplicate=False)


def _checked_envelope(name: Any, key: Any, message_id: Any) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["This field is required."]
    if not isinstance(key, str) or not key.strip():
        errors["key"] = ["Give the application, policy or claim number."]
    elif len(key.strip()) > 64:
        errors["key"] = ["Must be at most 64 characters."]
    if message_id is not None and (not isinstance(message_id, str)
                                   or not 0 < len(message_id.strip()) <= 200):
        errors["id"] = ["Must be text of 1 to 200 characters."]
    if errors:
        raise InvalidInput("the message needs a name and a key", errors)
    assert isinstance(name, str) and isinstance(key, str)
    return name.strip(), key.strip().upper(), (message_id or uuid.uuid4().hex).strip()
