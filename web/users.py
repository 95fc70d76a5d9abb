"""Reviewer and operator accounts: creation and password check."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from web.passwords import DUMMY_HASH, hash_password, verify_password
from web.tables import UserRow, sessions
from workers.db import utc_now

ROLES = ("reviewer", "operator")
MIN_PASSWORD = 8


class UserError(ValueError):
    """A user that cannot be created as asked."""


def add_user(database_url: str, name: str, role: str, password: str) -> UserRow:
    name = name.strip()
    if not name or len(name) > 100:
        raise UserError("a user name must have 1 to 100 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
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
    with sessions(database_url).begin() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name.strip()))
    if row is None or not row.active:
        verify_password(password, DUMMY_HASH)
        return None
    return row if verify_password(password, row.password_hash) else None


def get_user(database_url: str, user_id: int) -> UserRow | None:
    with sessions(database_url).begin() as s:
        row = s.get(UserRow, user_id)
    return row if row is not None and row.active else None
