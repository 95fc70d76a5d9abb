"""No SQLite transaction crosses a fork.

RQ forks a work horse per job while the worker's maintenance thread may be inside a
transaction. SQLite keeps the locks of a file in process memory (one record per file,
shared by every connection of the process), so the horse inherits "this process holds the
write lock" from a thread that does not exist in it, and its first transaction waits 30 s and
fails with "database is locked" (an attempt burnt, every time).

So every SQLite engine of the process is watched (``watch``): a connection checked out of the
pool counts as in use, and ``os.fork`` (through ``os.register_at_fork``) first waits until
none is, holding new check-outs back meanwhile. The child starts with a fresh gate; its
database objects are new ones (``workers.db.get_database`` keys them by process id) and the
inherited connections are dropped without closing them (closing would touch the parent's WAL).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

FORK_WAIT_S = 60.0


class _Gate:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.in_use = 0
        self.forking = False
        self.forker: int | None = None


_gate = _Gate()


def _checkout(*_args: Any) -> None:
    gate = _gate
    with gate.cond:
        while gate.forking and gate.forker != threading.get_ident():
            gate.cond.wait()
        gate.in_use += 1


def _checkin(*_args: Any) -> None:
    gate = _gate
    with gate.cond:
        gate.in_use = max(0, gate.in_use - 1)
        gate.cond.notify_all()


def _before_fork() -> None:
    gate = _gate
    gate.cond.acquire()
    gate.forking = True
    gate.forker = threading.get_ident()
    deadline = time.monotonic() + FORK_WAIT_S
    while gate.in_use > 0:
        left = deadline - time.monotonic()
        if left <= 0:
            log.warning("forking with %d SQLite connection(s) in use", gate.in_use)
            break
        gate.cond.wait(left)
    # The lock stays held through the fork: nothing checks a connection out meanwhile.


def _after_in_parent() -> None:
    gate = _gate
    gate.forking = False
    gate.forker = None
    gate.cond.notify_all()
    gate.cond.release()


def _after_in_child() -> None:
    global _gate
    _gate = _Gate()  # the inherited lock is held by the parent's forking thread


os.register_at_fork(before=_before_fork, after_in_parent=_after_in_parent, after_in_child=_after_in_child)


def watch(engine: Engine) -> None:
    """Count this engine's checked-out connections at the fork gate."""
    event.listen(engine, "checkout", _checkout)
    event.listen(engine, "checkin", _checkin)


def in_use() -> int:
    return _gate.in_use
