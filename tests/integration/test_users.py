"""services/users.py on a real database: validation, duplicates, roles, sign-in checks."""

from __future__ import annotations

import pytest

from services import users
from services.errors import Conflict, InvalidInput, NotFound


def _add(uow, username: str = "nora", roles: list[str] | None = None,  # type: ignore[no-untyped-def]
         password: str = "correct horse") -> None:
    with uow() as work:
        users.add_user(work.session, username, "Nora Newhire", password, roles or ["clerk"])
        work.commit()


def test_add_then_authenticate(uow) -> None:  # type: ignore[no-untyped-def]
    _add(uow, "Nora", ["underwriter", "clerk", "clerk"])
    with uow() as work:
        user = users.authenticate(work.session, " NORA ", "correct horse")
        assert user is not None and user.username == "nora"
        assert user.roles == ["clerk", "underwriter"]
        assert user.password_hash.startswith("scrypt:")
        assert users.authenticate(work.session, "nora", "wrong horse!") is None
        assert users.authenticate(work.session, "nobody", "correct horse") is None


def test_every_bad_field_is_reported_at_once(uow) -> None:  # type: ignore[no-untyped-def]
    with uow() as work, pytest.raises(InvalidInput) as raised:
        users.add_user(work.session, "9 bad name", " ", "short", ["clerk", "pilot"])
    assert set(raised.value.field_errors) == {"username", "display_name", "password", "roles"}
    assert "pilot" in raised.value.field_errors["roles"][0]


def test_no_roles_is_refused(uow) -> None:  # type: ignore[no-untyped-def]
    with uow() as work, pytest.raises(InvalidInput) as raised:
        users.add_user(work.session, "nora", "Nora", "long enough!", [])
    assert raised.value.field_errors == {"roles": ["Give at least one role."]}


def test_duplicate_is_a_conflict(uow) -> None:  # type: ignore[no-untyped-def]
    _add(uow)
    with pytest.raises(Conflict):
        _add(uow, "NORA")


def test_roles_and_deactivation(uow) -> None:  # type: ignore[no-untyped-def]
    _add(uow)
    with uow() as work:
        users.set_roles(work.session, "nora", ["auditor", "supervisor"])
        users.set_active(work.session, "nora", False)
        work.commit()
    with uow() as work:
        [user] = users.list_users(work.session)
        assert user.roles == ["supervisor", "auditor"] and not user.active
        assert users.authenticate(work.session, "nora", "correct horse") is None
    with uow() as work, pytest.raises(InvalidInput):
        users.set_roles(work.session, "nora", ["pilot"])
    with uow() as work, pytest.raises(NotFound):
        users.set_active(work.session, "ghost", True)
