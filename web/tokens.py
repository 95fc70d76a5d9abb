"""API tokens for intake clients: shown once on creation, stored as a SHA-256 hash.

Tokens are 256-bit random strings, so a plain (unsalted, fast) hash is enough: nothing
can be guessed from it, and the lookup stays one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from web.tables import TokenRow, sessions
from workers.db import utc_now

PREFIX = "vv_"


@dataclass(frozen=True)
class ApiClient:
    id: int
    name: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(database_url: str, name: str) -> str:
    """Store a new token for client ``name`` and return it (the only time it is visible)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token name must have 1 to 100 characters")
    token = PREFIX + secrets.token_urlsafe(32)
    with sessions(database_url).begin() as s:
        s.add(
            TokenRow(
                name=name, prefix=token[:10], token_hash=_digest(token), active=True, created_at=utc_now()
            )
        )
    return token


def check_token(database_url: str, token: str) -> ApiClient | None:
    """The client owning ``token``, or None for an unknown or revoked one."""
    if not token or len(token) > 200:
        return None
    with sessions(database_url).begin() as s:
        row = s.scalar(select(TokenRow).where(TokenRow.token_hash == _digest(token)))
        if row is None or not row.active:
            return None
        row.last_used_at = utc_now()
        return ApiClient(id=row.id, name=row.name)


def revoke_token(database_url: str, name: str) -> int:
    """Deactivate every token of client ``name``; returns how many."""
    with sessions(database_url).begin() as s:
        rows = s.scalars(select(TokenRow).where(TokenRow.name == name, TokenRow.active)).all()
        for row in rows:
            row.active = False
        return len(rows)
