"""Inbox views a user saves under a name and opens again with one click."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SavedFilter

from .errors import Conflict, InvalidInput, NotFound
from .inbox import InboxQuery

MAX_FILTERS = 30


def list_filters(session: Session, username: str) -> list[SavedFilter]:
    return list(session.scalars(select(SavedFilter).where(SavedFilter.username == username)
                                .order_by(SavedFilter.name)))


def save_filter(session: Session, username: str, name: str, query: InboxQuery) -> SavedFilter:
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput("give the filter a name", {"name": ["use 1 to 80 characters"]})
    existing = list_filters(session, username)
    if any(saved.name == name for saved in existing):
        raise Conflict(f"you already have a filter named '{name}'")
    if len(existing) >= MAX_FILTERS:
        raise InvalidInput(f"you can keep at most {MAX_FILTERS} filters; delete one first")
    saved = SavedFilter(username=username, name=name,
                        query=urlencode(query.to_args(page=1)))
    session.add(saved)
    return saved


def filter_query(saved: SavedFilter) -> InboxQuery:
    return InboxQuery.from_args(dict(parse_qsl(saved.query)))


def delete_filter(session: Session, username: str, filter_id: int) -> None:
    saved = session.get(SavedFilter, filter_id)
    if saved is None or saved.username != username:
        raise NotFound("there is no such saved filter")
    session.delete(saved)
