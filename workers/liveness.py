"""An RQ worker that stays registered when Redis forgets it.

RQ registers a worker once, at birth (``rq:workers`` and the per-queue sets); its heartbeats
only refresh the worker's hash. After a Redis restart (or a flush) a live worker was missing
from the registry for good: ``vidverify health --worker`` failed and ``vidverify_workers``
read 0 while it kept working, and the compose health check would have killed it. So every
heartbeat checks the registration and writes it again when it is gone.

An idle worker heartbeats once per dequeue time-out (``worker_ttl`` - 15 s): ``worker_ttl`` is
``VIDVERIFY_WORKER_TTL_S`` (60 s by default), well inside the health check's two minutes.
"""

from __future__ import annotations

import logging

from redis.client import Pipeline
from rq import Worker, worker_registration

log = logging.getLogger(__name__)


class RegisteredWorker(Worker):
    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self.ensure_registered()

    def ensure_registered(self) -> bool:
        """Register again if Redis lost this worker; True when it had to."""
        if self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key):
            return False
        log.warning("worker %s was not registered in Redis (restarted?): registering again", self.name)
        with self.connection.pipeline() as pipe:
            pipe.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipe)
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()
        return True
