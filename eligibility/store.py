"""The eligibility store: product records, plans, purchase windows and the audit trail.

Where the data lives:
- ``Store(url)`` uses ``url``; ``Store()`` / ``Store.from_env()`` use the ``DATABASE_URL``
  environment variable, else ``sqlite:///vidverify.db`` (a file in the current directory).
- Any SQLAlchemy URL works; SQLite (embedded, the default) and PostgreSQL
  (``postgresql+psycopg://...``) are tested. The schema is brought to head on open (``schema.py``).

Concurrency: every write that depends on what it read (issue a window, buy a plan, use a
replacement) first locks the product row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
transactions start with ``BEGIN IMMEDIATE``, which serialises writers on the file). Behind
that, a partial unique index allows at most one open window per product, so even a path
that forgot the lock cannot create two; losing that race is retried and returns the
winner's window.

Every time argument must be timezone-aware; it is converted to UTC.

``Store`` holds the transactions and the public calls; what they do inside a transaction is
in ``records.py`` (product rows, plans, the audit trail) and ``windows.py`` (issuing and
finding purchase windows).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from eligibility import decide, records, windows
from eligibility.catalogue import get_catalogue
from eligibility.errors import EligibilityError, InvalidInput
from eligibility.importer import read_products
from eligibility.models import (
    AuditEntry,
    EligibilityDecision,
    Product,
    ProductIn,
    PurchaseDecision,
    ReplacementDecision,
    ReplacementKind,
    Window,
    WindowSource,
)
from eligibility.rules.common import active_plan
from eligibility.rules.replacement import replacement_allowance
from eligibility.schema import ensure_schema
from eligibility.serials import check_serial
from eligibility.tables import (
    AuditRow,
    ProductRow,
    ReplacementRow,
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
                row = records.insert_product(session, product, now)
                return records.load(session, row)
        except IntegrityError as exc:  # lost a race with another writer
            raise InvalidInput(f"product {product.aircraft_sn} conflicts with a stored one") from exc

    def import_products(self, path: str | Path, now: datetime | None = None) -> list[Product]:
        """Import every product in a CSV or JSON file, all or nothing."""
        now = ensure_utc(now) if now else utc_now()
        products = read_products(path)
        try:
            with self._tx() as session:
                rows = [records.insert_product(session, p, now) for p in products]
                return [records.load(session, row) for row in rows]
        except IntegrityError as exc:
            raise InvalidInput(f"{path}: conflicts with stored products") from exc

    def get_product(self, aircraft_sn: str) -> Product | None:
        """The product with this aircraft serial, or None."""
        with self._tx() as session:
            row = session.scalar(select(ProductRow).where(ProductRow.aircraft_sn == aircraft_sn))
            return records.load(session, row) if row else None

    def find_by_rc_sn(self, rc_sn: str) -> Product | None:
        """The product whose bound remote controller has this serial, or None."""
        with self._tx() as session:
            row = session.scalar(select(ProductRow).where(ProductRow.rc_sn == rc_sn))
            return records.load(session, row) if row else None

    # ------------------------------------------------------------------ decisions

    def evaluate(self, aircraft_sn: str, now: datetime) -> EligibilityDecision:
        """May the product buy a plan at ``now``? The rule, the plans and the open window.

        ``aircraft_sn`` may also be the bound RC serial. The decision is audited.
        """
        now = ensure_utc(now)
        with self._tx() as session:
            row = records.product_row(session, aircraft_sn)
            product = records.load(session, row)
            window = windows.relevant_window(session, row, now)
            decision = decide.evaluate(product, window, now)
            records.audit(
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
                    return windows.issue_window(session, serial, source, reference, now)
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
            row = records.product_row(session, serial)
            window = windows.relevant_window(session, row, now)
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
            row = records.product_row(session, serial, lock=True)
            product = records.load(session, row)
            window = windows.relevant_window(session, row, now)
            outcome = decide.decide_purchase(product, plan_kind, region_code, window, now)
            decision = outcome.decision
            if outcome.plan is not None:
                records.insert_plan(session, row.id, outcome.plan, now)
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
                    records.audit(
                        session,
                        "window_used",
                        product.aircraft_sn,
                        now,
                        f"Purchase window {window.id} ({window.reference}) used to bind "
                        f"{plan_kind}; it is now closed.",
                        detail={"window_id": window.id},
                    )
            records.audit(
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
            row = records.product_row(session, serial, lock=True)
            product = records.load(session, row)
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
                    records.check_free(session, new_aircraft_sn, new_rc_sn, row.id)
                    row.aircraft_sn = new_aircraft_sn
                    decision = decision.model_copy(update={"aircraft_sn": new_aircraft_sn})
                if new_rc_sn:
                    records.check_free(session, None, new_rc_sn, row.id)
                    row.rc_sn = new_rc_sn
            records.audit(
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
            row = records.product_row(session, serial)
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
