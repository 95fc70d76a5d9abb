"""Purchase windows inside a store transaction: issuing one (idempotent per reference, at
most one open per product) and finding the one that applies at a moment.

Functions of a ``Session`` the caller holds (``Store`` locks the product row first).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eligibility import records
from eligibility.catalogue import get_catalogue
from eligibility.errors import InvalidInput
from eligibility.models import Window
from eligibility.tables import ProductRow, WindowReferenceRow, WindowRow


def to_window(row: WindowRow, aircraft_sn: str, now: datetime) -> Window:
    """The window as the callers see it: an open one past its expiry reads as expired."""
    status = row.status
    if status == "open" and now > row.expires_at:
        status = "expired"
    return Window(
        id=row.id,
        aircraft_sn=aircraft_sn,
        source=row.source,
        reference=row.reference,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        status=status,
        used_at=row.used_at,
    )


def issue_window(session: Session, serial: str, source: str, reference: str, now: datetime) -> Window:
    """``Store.issue_window`` inside its transaction: the product row locked, a known
    reference answered with its window, else the open window kept or a new one opened."""
    row = records.product_row(session, serial, lock=True)
    known = session.scalar(
        select(WindowReferenceRow).where(
            WindowReferenceRow.source == source, WindowReferenceRow.reference == reference
        )
    )
    if known is not None:
        window_row = session.get_one(WindowRow, known.window_id)
        if window_row.product_id != row.id:
            raise InvalidInput(f"{source} {reference!r} already opened a window for another product")
        return to_window(window_row, row.aircraft_sn, now)
    stale = session.scalars(
        select(WindowRow).where(
            WindowRow.product_id == row.id,
            WindowRow.status == "open",
            WindowRow.expires_at < now,
        )
    ).all()
    for old in stale:
        old.status = "expired"
        records.audit(
            session,
            "window_expired",
            row.aircraft_sn,
            now,
            f"Purchase window {old.id} ({old.reference}) expired unused at {old.expires_at}.",
            detail={"window_id": old.id},
        )
    session.flush()
    open_row = session.scalar(
        select(WindowRow).where(WindowRow.product_id == row.id, WindowRow.status == "open")
    )
    if open_row is None:
        hours = get_catalogue().policy.purchase_window_hours
        open_row = WindowRow(
            product_id=row.id,
            source=source,
            reference=reference,
            issued_at=now,
            expires_at=now + timedelta(hours=hours),
            status="open",
        )
        session.add(open_row)
        session.flush()
        records.audit(
            session,
            "window_issued",
            row.aircraft_sn,
            now,
            f"Passed {source.replace('_', ' ')} ({reference}): purchase window "
            f"{open_row.id} open for {hours} h, until {open_row.expires_at.isoformat()}.",
            allowed=True,
            detail={"window_id": open_row.id, "source": source, "reference": reference},
        )
    else:
        records.audit(
            session,
            "window_reused",
            row.aircraft_sn,
            now,
            f"{source.replace('_', ' ')} ({reference}) passed while window {open_row.id} "
            f"is open: that window is kept, until {open_row.expires_at.isoformat()}.",
            allowed=True,
            detail={"window_id": open_row.id, "source": source, "reference": reference},
        )
    session.add(WindowReferenceRow(source=source, reference=reference, window_id=open_row.id, created_at=now))
    session.flush()
    return to_window(open_row, row.aircraft_sn, now)


def relevant_window(session: Session, row: ProductRow, now: datetime) -> Window | None:
    """The latest window issued at or before ``now`` (open, used or expired)."""
    window_row = session.scalar(
        select(WindowRow)
        .where(WindowRow.product_id == row.id, WindowRow.issued_at <= now)
        .order_by(WindowRow.issued_at.desc(), WindowRow.id.desc())
        .limit(1)
    )
    return to_window(window_row, row.aircraft_sn, now) if window_row else None
