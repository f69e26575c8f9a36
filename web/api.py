"""The JSON API under /api/v1: routes parse, call one service function, present the result.

A case start may carry an `Idempotency-Key` header: a retry with the same key and body gets
the first case back (200, `Idempotent-Replayed: true`) instead of a second case (201); the
same key with another body is refused (422).

Every call needs a user: HTTP Basic (a staff user's username and password) or the browser
session; with the session, writes also need the `X-CSRF-Token` header. Messages come only
from integration accounts, with `Authorization: Bearer <token>`, and a token is good for
nothing else. The actor of every write is the authenticated user; a body `user` naming
anyone else is refused (400).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from services import case_starts, cases, messages, tasks
from services.errors import InvalidInput, PermissionDenied

from .csrf import UNSAFE_METHODS, require_token
from .current_user import CurrentUser, current_user
from .present import case_json, case_view_json, message_json, task_json
from .uow import unit_of_work

api = Blueprint("api", __name__, url_prefix="/api/v1")


REFUSALS = {
    None: "sign in: send HTTP Basic credentials of an active Insurflow user, or an API token",
    "basic-refused": "the username or password is not right, or the account is switched off",
    "bearer-refused": "the API token is not right, was revoked, or its account is switched off",
}
STAFF_ONLY = "API tokens only send messages; other calls need a staff user's sign-in"
INTEGRATION_ONLY = ("messages come only from integration accounts: send the API token of "
                    "one (`insurflow tokens create`) as `Authorization: Bearer <token>`")


def _refused() -> tuple[Response, int, dict[str, str]]:
    """401 for missing or wrong credentials; 429 with Retry-After while throttled."""
    if g.get("auth_method") == "throttled":
        throttled = g.throttled
        return (jsonify({"error": {"message": str(throttled)}}), 429,
                {"Retry-After": str(throttled.retry_after)})
    message = REFUSALS.get(g.get("auth_method"), REFUSALS[None])
    return (jsonify({"error": {"message": message}}), 401,
            {"WWW-Authenticate": 'Basic realm="Insurflow", charset="UTF-8", '
                                 'Bearer realm="Insurflow"'})


@api.before_request
def _require_user() -> tuple[Response, int, dict[str, str]] | None:
    user = current_user()
    if user is None:
        return _refused()
    if user.is_integration and request.endpoint != "api.receive_message":
        raise PermissionDenied(STAFF_ONLY)
    if g.auth_method == "session" and request.method in UNSAFE_METHODS:
        require_token()
    return None


def _signed_in() -> CurrentUser:
    user = current_user()
    assert user is not None  # _require_user ran first
    return user


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def _actor(body: dict[str, Any]) -> str:
    """The signed-in user; an old-style body `user` is accepted only when it names them."""
    username = _signed_in().username
    claimed = body.get("user")
    if claimed is not None and claimed != username:
        raise InvalidInput("the API acts as the signed-in user", {
            "user": [f"Leave this out or send your own username ({username})."]})
    return username


@api.post("/cases")
def start_case() -> tuple[Response, int, dict[str, str]]:
    body = _body()
    process_id = body.get("process_id")
    if not isinstance(process_id, str):
        raise InvalidInput("name the process", {"process_id": ["This field is required."]})
    with unit_of_work() as uow:
        started = case_starts.start_case_once(
            uow.session, process_id, body.get("data", {}), _actor(body), _signed_in().roles,
            request.headers.get("Idempotency-Key"))
        uow.commit()
        if started.replayed:
            return jsonify(case_json(started.case)), 200, {"Idempotent-Replayed": "true"}
        return jsonify(case_json(started.case)), 201, {}


@api.get("/cases/<int:case_id>")
def show_case(case_id: int) -> Response:
    with unit_of_work(read_only=True) as uow:
        return jsonify(case_view_json(cases.show_case(uow.session, case_id,
                                                      viewer=_signed_in().actor)))


@api.get("/tasks")
def list_tasks() -> Response:
    with unit_of_work(read_only=True) as uow:
        found = tasks.list_open_tasks(uow.session, role=request.args.get("role"),
                                      assignee=request.args.get("assignee"),
                                      viewer=_signed_in().actor)
        return jsonify({"tasks": [task_json(t) for t in found]})


@api.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    body = _body()
    with unit_of_work() as uow:
        task = tasks.complete_task(uow.session, task_id, body.get("data"), _actor(body),
                                  _signed_in().roles)
        uow.commit()
        return jsonify(task_json(task))


# A refused message is still recorded (and committed); its answer is an error all the same.
MESSAGE_STATUS = {messages.DELIVERED: 200, messages.UNKNOWN_KEY: 404, messages.NOT_WAITING: 409}


@api.post("/messages")
def receive_message() -> tuple[Response, int]:
    sender = _signed_in()
    if sender.allowed_messages is None:
        raise PermissionDenied(INTEGRATION_ONLY)
    body = _body()
    with unit_of_work() as uow:
        outcome = messages.receive_message(uow.session, body.get("name"), body.get("key"),
                                           body.get("payload"), body.get("id"),
                                           sender.username, sender.allowed_messages)
        uow.commit()
        shown = message_json(outcome)
    status = MESSAGE_STATUS[shown["outcome"]]
    if status != 200:
        return jsonify({"error": {"message": shown["detail"]}, **shown}), status
    return jsonify(shown), status
