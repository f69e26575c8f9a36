"""Refuse input no database can hold, before any view or query sees it.

PostgreSQL refuses NUL in text, SQLite and psycopg refuse unpaired surrogates, and an id past
the integer column's range overflows the driver: each used to surface as a 500 from deep in a
query. One before_request check covers every route instead of a patch per view: the path's
values, the query string, form fields, the JSON body (with a nesting limit, so a document
nested thousands deep is a 400 rather than a RecursionError) and the request headers.
Numbers in paths go through `BoundedInt`, so an id past the integer range is a 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from services.errors import InvalidInput

# The largest id a column can hold on every supported database (PostgreSQL's integer).
MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 64
UNSTORABLE = "Remove the NUL character or the unpaired surrogate: such text cannot be stored."
TOO_DEEP = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."


class BoundedInt(IntegerConverter):
    """`<int:...>` for ids: ASCII digits only, at most MAX_ID, so a bigger number is a 404."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def is_storable(text: str) -> bool:
    """False for text holding NUL or an unpaired surrogate (which UTF-8 cannot encode)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _named_texts() -> Iterator[tuple[str, str]]:
    """Every (name, text) of the request outside its body's JSON."""
    yield "path", request.path
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for source in (request.args, request.form):
        for name, values in source.lists():
            yield name, name
            for value in values:
                yield name, value
    for name, value in request.headers.items():
        yield name, value
    if request.authorization is not None:
        for name, value in request.authorization.parameters.items():
            yield name, str(value)


def _json_texts(document: Any) -> Iterator[tuple[str, str]]:
    """Keys and strings of a parsed JSON body, walked without recursion, with a depth limit."""
    pending: list[tuple[str, Any, int]] = [("body", document, 1)]
    while pending:
        name, value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(TOO_DEEP, {name: [TOO_DEEP]})
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield str(key), str(key)
                pending.append((str(key), item, depth + 1))
        elif isinstance(value, list):
            pending.extend((name, item, depth + 1) for item in value)


def _json_body() -> Any:
    if not request.is_json:
        return None
    try:
        return request.get_json(silent=True)
    except RecursionError:  # the parser's own recursion: thousands of nested brackets
        raise InvalidInput(TOO_DEEP, {"body": [TOO_DEEP]}) from None


def _refuse_unstorable(texts: Iterable[tuple[str, str]]) -> None:
    bad = sorted({name if is_storable(name) else "?" for name, text in texts
                  if not is_storable(text)})
    if bad:
        raise InvalidInput("the request holds text that cannot be stored",
                           {name: [UNSTORABLE] for name in bad})


def guard_request() -> None:
    """before_request: a 400 naming the field, before anything is read from the database."""
    _refuse_unstorable(_named_texts())
    _refuse_unstorable(_json_texts(_json_body()))


def init_request_guard(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converters when they are added."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(guard_request)
