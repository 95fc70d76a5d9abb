"""Product records inside a store transaction: finding (and locking) a product row, loading
it with its plans and replacements, inserting products and plans, the audit trail.

Functions of a ``Session`` the caller holds, so that ``Store`` composes them into one
transaction per public call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eligibility.catalogue import get_catalogue
from eligibility.errors import InvalidInput, UnknownProduct
from eligibility.models import Plan, Product, ProductIn, Replacement
from eligibility.rules.plan_start import plan_end
from eligibility.serials import check_serial
from eligibility.tables import AuditRow, PlanRow, ProductRow, ReplacementRow
from eligibility.timeutil import utc_now


def product_row(session: Session, serial: str, lock: bool = False) -> ProductRow:
    """The product with this aircraft (or bound RC) serial, locked with ``lock``;
    ``UnknownProduct`` when there is none, ``InvalidInput`` when it is no serial at all."""
    query = select(ProductRow).where(or_(ProductRow.aircraft_sn == serial, ProductRow.rc_sn == serial))
    if lock:
        query = query.with_for_update()
    rows = session.scalars(query).all()
    if not rows:
        try:
            check_serial(serial)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        raise UnknownProduct(f"no product record with serial {serial}")
    # An aircraft serial wins over an RC serial that happens to be equal.
    return next((r for r in rows if r.aircraft_sn == serial), rows[0])


def check_free(session: Session, aircraft_sn: str | None, rc_sn: str | None, own_id: int | None) -> None:
    if aircraft_sn:
        other = session.scalar(select(ProductRow).where(ProductRow.aircraft_sn == aircraft_sn))
        if other is not None and other.id != own_id:
            raise InvalidInput(f"product {aircraft_sn} is already recorded")
    if rc_sn:
        other = session.scalar(select(ProductRow).where(ProductRow.rc_sn == rc_sn))
        if other is not None and other.id != own_id:
            raise InvalidInput(f"RC {rc_sn} is already bound to aircraft {other.aircraft_sn}")


def insert_product(session: Session, product: ProductIn, now: datetime) -> ProductRow:
    info = get_catalogue().model(product.model)
    sn = product.aircraft_sn
    if product.activated_at is not None and product.activated_at > now:
        raise InvalidInput(f"{sn}: activation time {product.activated_at.isoformat()} is in the future")
    if info.category == "aircraft" and not product.rc_sn:
        raise InvalidInput(f"{sn}: an aircraft needs the serial of its bound RC")
    for rep in product.replacements:
        if rep.at > now:
            raise InvalidInput(f"{sn}: replacement time {rep.at.isoformat()} is in the future")
    check_free(session, sn, product.rc_sn, None)
    row = ProductRow(
        aircraft_sn=sn,
        rc_sn=product.rc_sn,
        model=info.name,
        category=info.category,
        region=product.region,
        activated_at=product.activated_at,
        created_at=now,
    )
    session.add(row)
    session.flush()
    for plan_in in product.plans:
        end = plan_in.end or plan_end(plan_in.kind, plan_in.start)
        if end <= plan_in.start:
            raise InvalidInput(f"{sn}: a {plan_in.kind} plan ends before it starts")
        plan = Plan(
            kind=plan_in.kind,
            start=plan_in.start,
            end=end,
            region=plan_in.region or product.region,
        )
        insert_plan(session, row.id, plan, now)
    for rep in product.replacements:
        session.add(
            ReplacementRow(
                product_id=row.id,
                kind=rep.kind,
                occurred_at=rep.at,
                replaced_sn=rep.replaced_sn,
            )
        )
    audit(
        session,
        "product_added",
        sn,
        now,
        f"Product {sn} ({info.name}, {product.region}) recorded.",
    )
    session.flush()
    return row


def insert_plan(session: Session, product_id: int, plan: Plan, now: datetime) -> None:
    session.add(
        PlanRow(
            product_id=product_id,
            kind=plan.kind,
            starts_at=plan.start,
            ends_at=plan.end,
            region=plan.region,
            source=plan.source,
            window_id=plan.window_id,
            created_at=now,
        )
    )
    session.flush()


def load(session: Session, row: ProductRow) -> Product:
    plans = session.scalars(
        select(PlanRow).where(PlanRow.product_id == row.id).order_by(PlanRow.starts_at, PlanRow.id)
    )
    replacements = session.scalars(
        select(ReplacementRow)
        .where(ReplacementRow.product_id == row.id)
        .order_by(ReplacementRow.occurred_at, ReplacementRow.id)
    )
    return Product(
        aircraft_sn=row.aircraft_sn,
        rc_sn=row.rc_sn,
        model=row.model,
        category=row.category,
        region=row.region,
        activated_at=row.activated_at,
        plans=[
            Plan(
                kind=p.kind,
                start=p.starts_at,
                end=p.ends_at,
                region=p.region,
                source=p.source,
                window_id=p.window_id,
            )
            for p in plans
        ],
        replacements=[
            Replacement(kind=r.kind, at=r.occurred_at, replaced_sn=r.replaced_sn) for r in replacements
        ],
    )


def audit(
    session: Session,
    action: str,
    aircraft_sn: str,
    at: datetime,
    message: str,
    *,
    allowed: bool | None = None,
    rule: str | None = None,
    code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditRow(
            at=at,
            recorded_at=utc_now(),
            action=action,
            aircraft_sn=aircraft_sn,
            allowed=allowed,
            rule=rule,
            code=str(code) if code is not None else None,
            message=message,
            detail=detail,
        )
    )
