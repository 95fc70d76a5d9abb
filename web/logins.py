"""Browser sessions kept on the server: created at login, looked up on every request, ended
by logout and by any change to the account (password, role, deactivation).

The cookie carries only a random token (256 bits); the database keeps its SHA-256, so a copy
of the table opens no session. A signed cookie alone could not be taken back: the old cookie
kept working for up to 8 hours after logout.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from web.tables import LoginSessionRow, read_sessions, sessions
from workers.db import utc_now


@dataclass(frozen=True)
class LoginSession:
    user_id: int
    csrf_secret: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(database_url: str, user_id: int, max_age_s: int) -> str:
    """A new session for ``user_id``; returns the token for the cookie. Expired sessions of
    everyone are swept on the way."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with sessions(database_url).begin() as s:
        s.execute(delete(LoginSessionRow).where(LoginSessionRow.expires_at < now))
        s.add(
            LoginSessionRow(
                token_hash=_hash(token),
                user_id=user_id,
                csrf_secret=secrets.token_hex(16),
                created_at=now,
                expires_at=now + timedelta(seconds=max_age_s),
            )
        )
    return token


def find(database_url: str, token: str | None) -> LoginSession | None:
    """The live session of this token, else None."""
    if not token or len(token) > 100:
        return None
    with read_sessions(database_url).begin() as s:
        row = s.scalar(select(LoginSessionRow).where(LoginSessionRow.token_hash == _hash(token)))
        if row is None or row.expires_at < utc_now():
            return None
        return LoginSession(user_id=row.user_id, csrf_secret=row.csrf_secret)


def end(database_url: str, token: str | None) -> None:
    if token:
        with sessions(database_url).begin() as s:
            s.execute(delete(LoginSessionRow).where(LoginSessionRow.token_hash == _hash(token)))


def end_all(database_url: str, user_id: int) -> int:
    """End every session of the user; returns how many there were."""
    with sessions(database_url).begin() as s:
        result = s.execute(delete(LoginSessionRow).where(LoginSessionRow.user_id == user_id))
    return int(result.rowcount or 0)
