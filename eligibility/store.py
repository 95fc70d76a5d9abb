"""The eligibility store: product records, plans, purchase windows and the audit trail.

Where the data lives:
- ``Store(url)`` uses ``url``; ``Store()`` / ``Store.from_env()`` use the ``DATABASE_URL``
  environment variable, else ``sqlite:///vidverify.db`` (a file in the current directory).
- Any SQLAlchemy URL works; SQLite (embedded, the default) and PostgreSQL
  (``postgresql+psycopg://...``) are tested. The schema is created on open (``schema.py``).

Concurrency: every write that depends on what it read (issue a window, buy a plan, use a
replacement) first locks the product row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
transactions start with ``BEGIN IMMEDIATE``, which serialises writers on the file). Behind
that, a partial unique index allows at most one open window per product, so even a path
that forgot the lock cannot create two; losing that race is retried and returns the
winner's window.

Every time argument must be timezone-aware; it is converted to UTC.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import Engine, create_engine, event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from eligibility import decide
from eligibility.catalogue import get_catalogue
from eligibility.errors import EligibilityError, InvalidInput, UnknownProduct
from eligibility.importer import read_products
from eligibility.models import (
    AuditEntry,
    EligibilityDecision,
    Plan,
    Product,
    ProductIn,
    PurchaseDecision,
    Replacement,
    ReplacementDecision,
    ReplacementKind,
    Window,
    WindowSource,
)
from eligibility.rules.common import active_plan
from eligibility.rules.plan_start import plan_end
from eligibility.rules.replacement import replacement_allowance
from eligibility.schema import ensure_schema
from eligibility.serials import check_serial
from eligibility.tables import (
    AuditRow,
    PlanRow,
    ProductRow,
    ReplacementRow,
    WindowReferenceRow,
    WindowRow,
)
from eligibility.timeutil import ensure_utc, utc_now

DEFAULT_URL = "sqlite:///vidverify.db"
"""The embedded default: a SQLite file named ``vidverify.db`` in the current directory."""

URL_ENV = "DATABASE_URL"

_RETRIES = 5


def database_url(url: str | None = None) -> str:
    """``url`` if given, else ``$DATABASE_URL``, else the SQLite default."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    # pysqlite's own transaction handling starts transactions late and as DEFERRED, which
    # lets two writers read the same state; take control and start every transaction with
    # BEGIN IMMEDIATE (SQLAlchemy's documented recipe), so writers queue on the file lock.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    # Workers fork with this store open: no transaction of it may cross the fork.
    from workers import forksafe

    forksafe.watch(engine)
    return engine


def _window(row: WindowRow, aircraft_sn: str, now: datetime) -> Window:
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


class Store:
    """Product records, plan rules and purchase windows over one database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine = _make_engine(self.url)
        self.schema_version = ensure_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_env(cls) -> Store:
        """A store on ``$DATABASE_URL`` or the SQLite default."""
        return cls(None)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # ------------------------------------------------------------------ products

    def add_product(self, product: ProductIn, now: datetime | None = None) -> Product:
        """Record one product; ``InvalidInput`` if it exists or a time is in the future."""
        now = ensure_utc(now) if now else utc_now()
        try:
            with self._tx() as session:
                row = self._insert_product(session, product, now)
                return self._load(session, row)
        except IntegrityError as exc:  # lost a race with another writer
            raise InvalidInput(f"product {product.aircraft_sn} conflicts with a stored one") from exc

    def import_products(self, path: str | Path, now: datetime | None = None) -> list[Product]:
        """Import every product in a CSV or JSON file, all or nothing."""
        now = ensure_utc(now) if now else utc_now()
        products = read_products(path)
        try:
            with self._tx() as session:
                rows = [self._insert_product(session, p, now) for p in products]
                return [self._load(session, row) for row in rows]
        except IntegrityError as exc:
            raise InvalidInput(f"{path}: conflicts with stored products") from exc

    def get_product(self, aircraft_sn: str) -> Product | None:
        """The product with this aircraft serial, or None."""
        with self._tx() as session:
            row = session.scalar(select(ProductRow).where(ProductRow.aircraft_sn == aircraft_sn))
            return self._load(session, row) if row else None

    def find_by_rc_sn(self, rc_sn: str) -> Product | None:
        """The product whose bound remote controller has this serial, or None."""
        with self._tx() as session:
            row = session.scalar(select(ProductRow).where(ProductRow.rc_sn == rc_sn))
            return self._load(session, row) if row else None

    # ------------------------------------------------------------------ decisions

    def evaluate(self, aircraft_sn: str, now: datetime) -> EligibilityDecision:
        """May the product buy a plan at ``now``? The rule, the plans and the open window.

        ``aircraft_sn`` may also be the bound RC serial. The decision is audited.
        """
        now = ensure_utc(now)
        with self._tx() as session:
            row = self._product_row(session, aircraft_sn)
            product = self._load(session, row)
            window = self._relevant_window(session, row, now)
            decision = decide.evaluate(product, window, now)
            self._audit(
                session,
                "evaluation",
                product.aircraft_sn,
                now,
                decision.message,
                allowed=decision.eligible,
                rule=decision.rule,
                code=decision.code,
                detail={"plans": decision.plans, "window_id": window.id if window else None},
            )
            return decision

    def issue_window(self, serial: str, source: str, reference: str, now: datetime) -> Window:
        """Open a 72-hour purchase window after a passed verification or inspection.

        Idempotent per (source, reference): asking again returns the same window, in
        whatever state it is now. While a window is open for the product, another reference
        gets that same window (not a longer one): at most one open window per product.
        """
        if source not in get_args(WindowSource):
            raise InvalidInput(
                f"unknown window source {source!r}: one of {', '.join(get_args(WindowSource))}"
            )
        reference = reference.strip()
        if not reference or len(reference) > 200:
            raise InvalidInput("a window reference must have 1 to 200 characters")
        now = ensure_utc(now)
        for attempt in range(_RETRIES):
            try:
                with self._tx() as session:
                    return self._issue_window(session, serial, source, reference, now)
            except IntegrityError:
                # Another transaction opened a window or claimed this reference first;
                # the next attempt sees its committed row and returns it.
                if attempt == _RETRIES - 1:
                    raise
        raise EligibilityError("unreachable")  # pragma: no cover

    def open_window(self, serial: str, now: datetime) -> Window | None:
        """The product's window usable at ``now``, or None."""
        now = ensure_utc(now)
        with self._tx() as session:
            row = self._product_row(session, serial)
            window = self._relevant_window(session, row, now)
            return window if window and window.status == "open" else None

    def purchase(self, serial: str, plan_kind: str, region: str, now: datetime) -> PurchaseDecision:
        """Bind ``plan_kind`` bought in ``region`` if the rules allow; else a refusal.

        A purchase through a window closes the window. ``InvalidInput`` for an unknown
        serial, plan kind or region code; a refusal by a rule is a decision, not an error.
        """
        catalogue = get_catalogue()
        catalogue.plan_kind(plan_kind)
        region_code = catalogue.region(region).code
        now = ensure_utc(now)
        with self._tx() as session:
            row = self._product_row(session, serial, lock=True)
            product = self._load(session, row)
            window = self._relevant_window(session, row, now)
            outcome = decide.decide_purchase(product, plan_kind, region_code, window, now)
            decision = outcome.decision
            if outcome.plan is not None:
                self._insert_plan(session, row.id, outcome.plan, now)
                if outcome.uses_window and window is not None:
                    closed = session.execute(
                        update(WindowRow)
                        .where(WindowRow.id == window.id, WindowRow.status == "open")
                        .values(status="used", used_at=now)
                    )
                    if closed.rowcount != 1:
                        raise EligibilityError(f"window {window.id} changed during the purchase")
                    used = window.model_copy(update={"status": "used", "used_at": now})
                    decision = decision.model_copy(update={"window": used})
                    self._audit(
                        session,
                        "window_used",
                        product.aircraft_sn,
                        now,
                        f"Purchase window {window.id} ({window.reference}) used to bind "
                        f"{plan_kind}; it is now closed.",
                        detail={"window_id": window.id},
                    )
            self._audit(
                session,
                "purchase",
                product.aircraft_sn,
                now,
                decision.message,
                allowed=decision.allowed,
                rule=decision.rule,
                code=decision.code,
                detail={"plan_kind": plan_kind, "region": region_code},
            )
            return decision

    def record_replacement(
        self,
        serial: str,
        kind: ReplacementKind,
        now: datetime,
        new_aircraft_sn: str | None = None,
        new_rc_sn: str | None = None,
    ) -> ReplacementDecision:
        """Use a replacement if the plan allows it; the replacement unit inherits the plan.

        With ``new_aircraft_sn`` (and ``new_rc_sn``) the record moves to the new unit's
        serials: its plan history and replacements stay, as the seeds say they must.
        """
        now = ensure_utc(now)
        if kind not in get_args(ReplacementKind):
            raise InvalidInput(f"unknown replacement kind {kind!r}: damage or flyaway")
        if new_aircraft_sn is not None:
            new_aircraft_sn = check_serial(new_aircraft_sn, "aircraft serial")
        if new_rc_sn is not None:
            new_rc_sn = check_serial(new_rc_sn, "RC serial")
        with self._tx() as session:
            row = self._product_row(session, serial, lock=True)
            product = self._load(session, row)
            result = replacement_allowance(product, kind, now)
            decision = ReplacementDecision(
                aircraft_sn=product.aircraft_sn,
                at=now,
                kind=kind,
                allowed=result.allowed,
                code=result.code,
                message=result.message,
                plan=active_plan(product, now),
            )
            if result.allowed:
                session.add(
                    ReplacementRow(product_id=row.id, kind=kind, occurred_at=now, replaced_sn=row.aircraft_sn)
                )
                if new_aircraft_sn:
                    self._check_free(session, new_aircraft_sn, new_rc_sn, row.id)
                    row.aircraft_sn = new_aircraft_sn
                    decision = decision.model_copy(update={"aircraft_sn": new_aircraft_sn})
                if new_rc_sn:
                    self._check_free(session, None, new_rc_sn, row.id)
                    row.rc_sn = new_rc_sn
            self._audit(
                session,
                "replacement",
                product.aircraft_sn,
                now,
                result.message,
                allowed=result.allowed,
                rule=result.rule,
                code=result.code,
                detail={"kind": kind, "new_aircraft_sn": new_aircraft_sn},
            )
            return decision

    def audit_trail(self, serial: str) -> list[AuditEntry]:
        """Every audited event for the product, oldest first."""
        with self._tx() as session:
            row = self._product_row(session, serial)
            serials = {row.aircraft_sn} | {
                r.replaced_sn
                for r in session.scalars(select(ReplacementRow).where(ReplacementRow.product_id == row.id))
                if r.replaced_sn
            }
            rows = session.scalars(
                select(AuditRow).where(AuditRow.aircraft_sn.in_(serials)).order_by(AuditRow.id)
            )
            return [
                AuditEntry(
                    id=a.id,
                    at=a.at,
                    recorded_at=a.recorded_at,
                    action=a.action,
                    aircraft_sn=a.aircraft_sn,
                    allowed=a.allowed,
                    rule=a.rule,
                    code=a.code,
                    message=a.message,
                    detail=a.detail,
                )
                for a in rows
            ]

    # ------------------------------------------------------------------ internals

    def _issue_window(
        self, session: Session, serial: str, source: str, reference: str, now: datetime
    ) -> Window:
        row = self._product_row(session, serial, lock=True)
        known = session.scalar(
            select(WindowReferenceRow).where(
                WindowReferenceRow.source == source, WindowReferenceRow.reference == reference
            )
        )
        if known is not None:
            window_row = session.get_one(WindowRow, known.window_id)
            if window_row.product_id != row.id:
                raise InvalidInput(f"{source} {reference!r} already opened a window for another product")
            return _window(window_row, row.aircraft_sn, now)
        stale = session.scalars(
            select(WindowRow).where(
                WindowRow.product_id == row.id,
                WindowRow.status == "open",
                WindowRow.expires_at < now,
            )
        ).all()
        for old in stale:
            old.status = "expired"
            self._audit(
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
            self._audit(
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
            self._audit(
                session,
                "window_reused",
                row.aircraft_sn,
                now,
                f"{source.replace('_', ' ')} ({reference}) passed while window {open_row.id} "
                f"is open: that window is kept, until {open_row.expires_at.isoformat()}.",
                allowed=True,
                detail={"window_id": open_row.id, "source": source, "reference": reference},
            )
        session.add(
            WindowReferenceRow(source=source, reference=reference, window_id=open_row.id, created_at=now)
        )
        session.flush()
        return _window(open_row, row.aircraft_sn, now)

    def _product_row(self, session: Session, serial: str, lock: bool = False) -> ProductRow:
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

    def _relevant_window(self, session: Session, row: ProductRow, now: datetime) -> Window | None:
        """The latest window issued at or before ``now`` (open, used or expired)."""
        window_row = session.scalar(
            select(WindowRow)
            .where(WindowRow.product_id == row.id, WindowRow.issued_at <= now)
            .order_by(WindowRow.issued_at.desc(), WindowRow.id.desc())
            .limit(1)
        )
        return _window(window_row, row.aircraft_sn, now) if window_row else None

    def _check_free(
        self, session: Session, aircraft_sn: str | None, rc_sn: str | None, own_id: int | None
    ) -> None:
        if aircraft_sn:
            other = session.scalar(select(ProductRow).where(ProductRow.aircraft_sn == aircraft_sn))
            if other is not None and other.id != own_id:
                raise InvalidInput(f"product {aircraft_sn} is already recorded")
        if rc_sn:
            other = session.scalar(select(ProductRow).where(ProductRow.rc_sn == rc_sn))
            if other is not None and other.id != own_id:
                raise InvalidInput(f"RC {rc_sn} is already bound to aircraft {other.aircraft_sn}")

    def _insert_product(self, session: Session, product: ProductIn, now: datetime) -> ProductRow:
        info = get_catalogue().model(product.model)
        sn = product.aircraft_sn
        if product.activated_at is not None and product.activated_at > now:
            raise InvalidInput(f"{sn}: activation time {product.activated_at.isoformat()} is in the future")
        if info.category == "aircraft" and not product.rc_sn:
            raise InvalidInput(f"{sn}: an aircraft needs the serial of its bound RC")
        for rep in product.replacements:
            if rep.at > now:
                raise InvalidInput(f"{sn}: replacement time {rep.at.isoformat()} is in the future")
        self._check_free(session, sn, product.rc_sn, None)
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
            self._insert_plan(session, row.id, plan, now)
        for rep in product.replacements:
            session.add(
                ReplacementRow(
                    product_id=row.id,
                    kind=rep.kind,
                    occurred_at=rep.at,
                    replaced_sn=rep.replaced_sn,
                )
            )
        self._audit(
            session,
            "product_added",
            sn,
            now,
            f"Product {sn} ({info.name}, {product.region}) recorded.",
        )
        session.flush()
        return row

    @staticmethod
    def _insert_plan(session: Session, product_id: int, plan: Plan, now: datetime) -> None:
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

    @staticmethod
    def _load(session: Session, row: ProductRow) -> Product:
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

    @staticmethod
    def _audit(
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
