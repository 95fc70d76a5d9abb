"""The web service's own tables (users, browser sessions, API tokens, API intake), next to
the workers' tables.

They live in the same database and use the workers' engine (one pool per process, the same
SQLite locking recipe); their migrations (``web/migrations``) run on first use.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from workers.db import get_database
from workers.models import UtcDateTime


class WebBase(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime}


class UserRow(WebBase):
    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # reviewer | operator
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()


class TokenRow(WebBase):
    __tablename__ = "web_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings, not secret
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class IntakeRow(WebBase):
    """A submission as posted through the API by one client (see ``web/intake.py``)."""

    __tablename__ = "web_api_intake"

    submission_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gimbal_sn: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column()


class AuditRow(WebBase):
    """What a person did to a submission through the pages (see ``web/audit.py``)."""

    __tablename__ = "web_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # claim | take_over | approved | rejected | ...
    detail: Mapped[str | None] = mapped_column(Text)  # reason, comment, what was taken over


class LoginSessionRow(WebBase):
    """A browser session (see ``web/logins.py``): the cookie holds a random token, this row its
    hash, so a session ends on the server (logout, password or role change), not only when the
    cookie expires."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


def read_sessions(database_url: str) -> sessionmaker[Session]:
    """Like ``sessions``, for reading only (no write lock on SQLite)."""
    sessions(database_url)  # the tables exist
    db = get_database(database_url)
    factory = getattr(db, "_web_read_sessions", None)
    if factory is None:
        factory = sessionmaker(db.read_engine, expire_on_commit=False)
        db._web_read_sessions = factory  # type: ignore[attr-defined]
    return factory


def sessions(database_url: str) -> sessionmaker[Session]:
    """A session factory on the workers' engine, with the web tables at head (once per engine)."""
    db = get_database(database_url)
    factory = getattr(db, "_web_sessions", None)
    if factory is None:
        from vidverify.migrate import ensure
        from web.migrations import HISTORY

        ensure(db.engine, HISTORY)
        factory = sessionmaker(db.engine, expire_on_commit=False)
        db._web_sessions = factory  # type: ignore[attr-defined]
    return factory
