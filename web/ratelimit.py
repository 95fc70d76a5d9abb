"""A fixed-window rate limit per API client or login name, counted in Redis (shared by every
web process)."""

from __future__ import annotations

import time

from redis import Redis


class RateLimiter:
    def __init__(self, redis: Redis, per_minute: int, prefix: str = "vidverify:web:rate") -> None:
        self.redis = redis
        self.per_minute = per_minute
        self.prefix = prefix

    def hit(self, client_id: int | str) -> tuple[bool, int]:
        """Count one request; returns (allowed, seconds until the window resets)."""
        now = time.time()
        window = int(now // 60)
        key = f"{self.prefix}:{client_id}:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = pipe.execute()
        retry_after = max(1, int(60 - now % 60))
        return int(count) <= self.per_minute, retry_after
