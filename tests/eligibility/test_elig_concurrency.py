"""Two (or eight) workers at once must never create two open windows or bind two plans.

Each thread opens its own ``Store`` (its own engine and connection, like separate worker
processes) and waits on a barrier, so the calls hit the database together. The PostgreSQL
runs are the point; SQLite runs too, as the embedded default must be just as safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from eligibility.models import ProductIn
from eligibility.store import Store
from eligibility.tables import PlanRow, ProductRow, WindowReferenceRow, WindowRow
from tests.support.elig_helpers import AIRCRAFT_SN, RC_SN, T0

WORKERS = 8


def run_together(url: str, call: Callable[[Store, int], Any], open_after_barrier: bool = False) -> list[Any]:
    """Run ``call(store, i)`` in WORKERS threads released at the same instant.

    With ``open_after_barrier`` each thread also opens its store after the barrier, so the
    schema creation itself races.
    """
    stores: list[Store | None] = [None if open_after_barrier else Store(url) for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = [None] * WORKERS

    def worker(i: int) -> None:
        barrier.wait()
        try:
            if stores[i] is None:
                stores[i] = Store(url)
            results[i] = call(stores[i], i)
        except Exception as exc:  # reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for store in stores:
        if store is not None:
            store.close()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def setup_product(url: str) -> None:
    with Store(url) as store:
        store.add_product(
            ProductIn(
                aircraft_sn=AIRCRAFT_SN,
                rc_sn=RC_SN,
                model="DJI Mini 3 Pro",
                region="US",
                activated_at=T0 - timedelta(days=400),
            ),
            now=T0,
        )


def count(url: str, query) -> int:
    with Store(url) as store, store.engine.connect() as conn:
        return conn.execute(query).scalar_one()


@pytest.mark.parametrize("same_reference", [False, True])
def test_concurrent_issue_creates_one_open_window(db_url, same_reference):
    setup_product(db_url)

    def issue(store: Store, i: int):
        ref = "sub-1" if same_reference else f"sub-{i}"
        return store.issue_window(AIRCRAFT_SN, "video_verification", ref, T0)

    windows = run_together(db_url, issue)
    assert len({w.id for w in windows}) == 1
    open_windows = select(func.count()).select_from(WindowRow).where(WindowRow.status == "open")
    assert count(db_url, open_windows) == 1
    refs = count(db_url, select(func.count()).select_from(WindowReferenceRow))
    assert refs == (1 if same_reference else WORKERS)


def test_concurrent_purchases_bind_one_plan(db_url):
    setup_product(db_url)
    with Store(db_url) as store:
        store.issue_window(AIRCRAFT_SN, "video_verification", "sub-1", T0)

    decisions = run_together(
        db_url, lambda store, i: store.purchase(AIRCRAFT_SN, "2y", "US", T0 + timedelta(hours=1))
    )
    assert sum(d.allowed for d in decisions) == 1
    assert count(db_url, select(func.count()).select_from(PlanRow)) == 1


def test_database_itself_refuses_a_second_open_window(db_url):
    """The partial unique index holds even for code that skips the store's lock."""
    setup_product(db_url)
    with Store(db_url) as store, store.engine.connect() as conn:
        product_id = conn.execute(select(ProductRow.id)).scalar_one()
        row = {
            "product_id": product_id,
            "source": "video_verification",
            "issued_at": T0,
            "expires_at": T0 + timedelta(hours=72),
        }
        conn.execute(insert(WindowRow).values(reference="a", status="open", **row))
        conn.execute(insert(WindowRow).values(reference="b", status="used", **row))
        with pytest.raises(IntegrityError):
            conn.execute(insert(WindowRow).values(reference="c", status="open", **row))


def test_many_stores_opening_a_fresh_postgres_schema_at_once(pg_url):
    """Workers starting together must not race while creating the tables."""
    from eligibility.migrations import HISTORY

    versions = run_together(pg_url, lambda store, i: store.schema_version, open_after_barrier=True)
    assert versions == [next(iter(HISTORY.heads()))] * WORKERS
