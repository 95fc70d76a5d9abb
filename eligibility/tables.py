"""Database tables of the eligibility core (SQLAlchemy 2, SQLite and PostgreSQL).

Table names carry an ``eligibility_`` prefix because the store may share a database with
other packages (``DATABASE_URL``); the migrations in ``eligibility/migrations`` build them.

The one-open-window-per-product rule is a *partial unique index* on windows whose status is
``open``; both SQLite and PostgreSQL enforce it, so two workers racing to issue a window for
the same serial cannot both succeed, whatever the application code does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in both databases.

    PostgreSQL stores ``timestamptz``. SQLite has no time-zone type: values are stored as
    naive UTC text in SQLAlchemy's fixed-width format (so text comparison orders them
    correctly) and come back with UTC attached.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the eligibility store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding only the eligibility tables."""


class ProductRow(Base):
    """A product record: serials, model, purchase region and activation time."""

    __tablename__ = "eligibility_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aircraft_sn: Mapped[str] = mapped_column(String(32), unique=True)
    rc_sn: Mapped[str | None] = mapped_column(String(32), unique=True)
    model: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(8))
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanRow(Base):
    """A plan bound to a product (imported history or bought through the store)."""

    __tablename__ = "eligibility_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("eligibility_products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    region: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_windows.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReplacementRow(Base):
    """A replacement used (damage or flyaway); ``replaced_sn`` is the unit given back."""

    __tablename__ = "eligibility_replacements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("eligibility_products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_sn: Mapped[str | None] = mapped_column(String(32))


class WindowRow(Base):
    """A 72-hour purchase window; ``status`` is open, used or expired."""

    __tablename__ = "eligibility_windows"
    __table_args__ = (
        Index(
            "uq_eligibility_windows_one_open",
            "product_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("eligibility_products.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WindowReferenceRow(Base):
    """Maps each (source, reference) that asked for a window to the window it got.

    This is what makes ``issue_window`` idempotent: the same verification asking twice, or
    a second verification while a window is open, gets the same window back.
    """

    __tablename__ = "eligibility_window_references"
    __table_args__ = (UniqueConstraint("source", "reference", name="uq_eligibility_window_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200))
    window_id: Mapped[int] = mapped_column(ForeignKey("eligibility_windows.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """Audit trail: every window event and every decision, with the rule that made it."""

    __tablename__ = "eligibility_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(32))
    aircraft_sn: Mapped[str] = mapped_column(String(32), index=True)
    allowed: Mapped[bool | None] = mapped_column(Boolean)
    rule: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
