"""Reviewer and operator accounts: creation, password check, and changes (each change ends
the account's sessions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from web.passwords import DUMMY_HASH, hash_password, policy_problem, verify_password
from web.tables import UserRow, read_sessions, sessions
from workers.db import utc_now

ROLES = ("reviewer", "operator")


class UserError(ValueError):
    """A user that cannot be created as asked."""


def add_user(database_url: str, name: str, role: str, password: str) -> UserRow:
    name = name.strip()
    if not name or len(name) > 100:
        raise UserError("a user name must have 1 to 100 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    problem = policy_problem(password, name)
    if problem:
        raise UserError(problem)
    row = UserRow(
        name=name, role=role, password_hash=hash_password(password), active=True, created_at=utc_now()
    )
    try:
        with sessions(database_url).begin() as s:
            s.add(row)
    except IntegrityError as exc:
        raise UserError(f"user {name!r} exists already") from exc
    return row


def authenticate(database_url: str, name: str, password: str) -> UserRow | None:
    """The active user with that name and password, else None."""
    with read_sessions(database_url).begin() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name.strip()))
    if row is None or not row.active:
        verify_password(password, DUMMY_HASH)
        return None
    return row if verify_password(password, row.password_hash) else None


def get_user(database_url: str, user_id: int) -> UserRow | None:
    with read_sessions(database_url).begin() as s:
        row = s.get(UserRow, user_id)
    return row if row is not None and row.active else None


def _change(database_url: str, name: str, **values: object) -> UserRow:
    """Change the named user and end all their sessions: whoever was logged in as them logs
    in again, under the new password or role."""
    from web import logins

    with sessions(database_url).begin() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name.strip()))
        if row is None:
            raise UserError(f"no user {name!r}")
        for key, value in values.items():
            setattr(row, key, value)
    logins.end_all(database_url, row.id)
    return row


def set_password(database_url: str, name: str, password: str) -> UserRow:
    problem = policy_problem(password, name)
    if problem:
        raise UserError(problem)
    return _change(database_url, name, password_hash=hash_password(password))


def set_role(database_url: str, name: str, role: str) -> UserRow:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    return _change(database_url, name, role=role)


def set_active(database_url: str, name: str, active: bool) -> UserRow:
    return _change(database_url, name, active=active)
