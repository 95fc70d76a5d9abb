"""The faults a load run injects, one after another while the load goes on: a worker
SIGKILLed mid-analysis and started again, Redis restarted empty, PostgreSQL restarted, the
mail server down for a while.

Each fault names the submissions it touched (``affected``): the report then says, for those,
how many were lost, how many got a second window or e-mail, and what latency it added.
Every wait is bounded; a fault that finds nothing to hit says so in ``notes``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.load.drive import Driver
from bench.load.measure import FINAL_STATES, RUNNING_STATES
from bench.load.system import System


@dataclass
class Fault:
    name: str
    kind: str  # "verdict": latency to the verdict is what it costs; "email": to the e-mail
    started: float = 0.0
    back_at: float = 0.0  # the service is up again
    recovered_at: float | None = None  # every affected submission done (None: not in time)
    affected: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _in_flight(driver: Driver) -> list[int]:
    rows = driver.sampler.snapshot()
    return [
        i.id
        for i in driver.outstanding()
        if i.id is not None and (rows.get(i.id) is None or rows[i.id].state not in FINAL_STATES)
    ]


def _wait(check: Callable[[], bool], timeout: float, every: float = 0.5) -> float | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return time.time()
        time.sleep(every)
    return None


def _all_final(driver: Driver, ids: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        rows = driver.sampler.snapshot()
        return all(i in rows and rows[i].state in FINAL_STATES for i in ids)

    return check


def wait_running(driver: Driver, phase: str, timeout: float) -> bool:
    """Wait until a submission of ``phase`` is being fetched or analysed; False on timeout."""

    def check() -> bool:
        ids = {i.id for i in driver.phase_items(phase) if i.id is not None}
        rows = driver.sampler.read_rows() or []
        return any(r.id in ids and r.state in RUNNING_STATES for r in rows)

    return _wait(check, timeout, every=0.1) is not None


def kill_worker(system: System, driver: Driver, timeout: float = 120) -> Fault:
    """SIGKILL worker 0 and its work horse while it analyses (between 10 % and 80 % of the
    recording, read fresh from the database), then start it again at once."""
    fault = Fault("worker_sigkill", "verdict")
    worker = system.workers[0]

    def running(mid: bool) -> list[int]:
        pids = {str(p) for p in worker.process_tree()}
        rows = driver.sampler.read_rows() or []
        return [
            r.id
            for r in rows
            if r.state in RUNNING_STATES
            and r.worker
            and r.worker.rsplit(":", 1)[-1] in pids
            and (not mid or (r.state == "analysing" and 0.1 <= (r.progress or 0) <= 0.8))
        ]

    if _wait(lambda: bool(running(mid=True)), 90, every=0.1) is None:
        fault.notes.append("worker 0 was never seen mid-analysis; killed anyway")
    fault.affected = running(mid=False)
    fault.started = time.time()
    system.kill_worker(0)
    system.restart_worker(0)
    fault.back_at = time.time()
    fault.recovered_at = _wait(_all_final(driver, fault.affected), timeout)
    return fault


def restart_redis(system: System, driver: Driver, down_s: float = 2.0, timeout: float = 120) -> Fault:
    """Redis stopped (no persistence: it comes back empty), ``down_s`` later started again."""
    fault = Fault("redis_restart_empty", "verdict")
    fault.affected = _in_flight(driver)
    fault.started = time.time()
    system.redis.stop(signal.SIGKILL)
    time.sleep(down_s)
    system.redis.start()
    fault.back_at = time.time()
    fault.recovered_at = _wait(_all_final(driver, fault.affected), timeout)
    return fault


def restart_postgres(system: System, driver: Driver, down_s: float = 3.0, timeout: float = 120) -> Fault:
    """PostgreSQL's fast shutdown (open connections are cut), ``down_s`` down, started again."""
    fault = Fault("postgres_restart", "verdict")
    if system.postgres is None:
        fault.notes.append("SQLite run: no database server to restart")
        return fault
    before = {i.n for i in driver.items}
    fault.affected = _in_flight(driver)
    fault.started = time.time()
    system.postgres.stop()
    time.sleep(down_s)
    system.postgres.start()
    fault.back_at = time.time()
    # Posts made while it was down are affected too, once they have their id.
    _wait(
        lambda: all(
            i.id is not None or i.accepted_at == 0 and time.time() - i.posted_at > 130
            for i in driver.items
            if i.n not in before and i.posted_at <= fault.back_at
        ),
        60,
    )
    fault.affected += [
        i.id for i in driver.items if i.n not in before and i.posted_at <= fault.back_at and i.id is not None
    ]
    fault.recovered_at = _wait(_all_final(driver, fault.affected), timeout)
    return fault


def smtp_down(system: System, driver: Driver, down_s: float = 60.0, timeout: float = 180) -> Fault:
    """The mail server refuses connections for ``down_s``; affected: every submission whose
    e-mail had not arrived when it went down and that was decided before it came back."""
    fault = Fault("smtp_down", "email")
    arrived = {r for m in system.smtp.snapshot() for r in m.recipients}
    waiting = {i.email: i for i in driver.items if i.id is not None and i.email not in arrived}
    fault.started = time.time()
    system.smtp.stop()
    time.sleep(down_s)
    system.smtp.start()
    fault.back_at = time.time()
    rows = driver.sampler.snapshot()
    mailed = {"approved", "rejected"}
    hit = [
        i
        for i in waiting.values()
        if i.id in rows
        and rows[i.id].verdict in mailed
        and rows[i.id].decided_at is not None
        and rows[i.id].decided_at <= fault.back_at
    ]
    fault.affected = [i.id for i in hit if i.id is not None]
    emails = {i.email for i in hit}

    def delivered() -> bool:
        got = {r for m in system.smtp.snapshot() for r in m.recipients}
        return emails <= got

    fault.recovered_at = _wait(delivered, timeout)
    if not fault.affected:
        fault.notes.append("no e-mail was due while the server was down")
    return fault
