"""The JSON API under /api/v1: routes parse, call one service function, present the result."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from services import cases, tasks
from services.errors import InvalidInput

from .present import case_json, case_view_json, task_json
from .uow import unit_of_work

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def _actor(body: dict[str, Any]) -> str:
    actor = body.get("user")
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInput("say who acts", {"user": ["This field is required."]})
    return actor.strip()


@api.post("/cases")
def start_case() -> tuple[Response, int]:
    body = _body()
    process_id = body.get("process_id")
    if not isinstance(process_id, str):
        raise InvalidInput("name the process", {"process_id": ["This field is required."]})
    with unit_of_work() as uow:
        case = cases.start_case(uow.session, process_id, body.get("data", {}), _actor(body))
        uow.commit()
        return jsonify(case_json(case)), 201


@api.get("/cases/<int:case_id>")
def show_case(case_id: int) -> Response:
    with unit_of_work() as uow:
        return jsonify(case_view_json(cases.show_case(uow.session, case_id)))


@api.get("/tasks")
def list_tasks() -> Response:
    with unit_of_work() as uow:
        found = tasks.list_open_tasks(uow.session, role=request.args.get("role"),
                                      assignee=request.args.get("assignee"))
        return jsonify({"tasks": [task_json(t) for t in found]})


@api.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Response:
    body = _body()
    with unit_of_work() as uow:
        task = tasks.complete_task(uow.session, task_id, body.get("data"), _actor(body))
        uow.commit()
        return jsonify(task_json(task))
