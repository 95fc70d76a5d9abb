"""Who is looking at a case: a reviewer opening a case claims it for a while.

A claim is a Redis key with a time-out (``VIDVERIFY_WEB_CLAIM_S``): opening the page again
extends one's own claim, a decision releases it, and another reviewer sees it and may take
it over on purpose (never by just opening the page). Redis being down means no claims are
shown or taken; the pages still work, and the decision itself is guarded by the database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError

from web.settings import WebSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    submission_id: int
    reviewer: str
    since: datetime
    expires_at: datetime

    def held_by(self, name: str) -> bool:
        return self.reviewer == name


def _conn(settings: WebSettings) -> Redis:
    return Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)


def _key(settings: WebSettings, submission_id: int) -> str:
    return f"{settings.workers.queue_prefix}:web:claim:{submission_id}"


def _parse(submission_id: int, raw: bytes | None, ttl: int) -> Claim | None:
    if raw is None or ttl is None or ttl < 0:
        return None
    try:
        data = json.loads(raw)
        since = datetime.fromisoformat(data["since"])
        reviewer = str(data["reviewer"])
    except (ValueError, KeyError, TypeError):
        return None
    return Claim(submission_id, reviewer, since, datetime.now(UTC) + timedelta(seconds=ttl))


def get(settings: WebSettings, submission_id: int) -> Claim | None:
    try:
        with _conn(settings) as conn:
            pipe = conn.pipeline()
            pipe.get(_key(settings, submission_id))
            pipe.ttl(_key(settings, submission_id))
            raw, ttl = pipe.execute()
    except RedisError as exc:
        log.warning("claims unavailable: %s", exc)
        return None
    return _parse(submission_id, raw, ttl)


def many(settings: WebSettings, ids: list[int]) -> dict[int, Claim]:
    """The claims on these cases (for the queue), by id."""
    if not ids:
        return {}
    try:
        with _conn(settings) as conn:
            pipe = conn.pipeline()
            for i in ids:
                pipe.get(_key(settings, i))
                pipe.ttl(_key(settings, i))
            values = pipe.execute()
    except RedisError as exc:
        log.warning("claims unavailable: %s", exc)
        return {}
    result = {}
    for n, i in enumerate(ids):
        claim = _parse(i, values[2 * n], values[2 * n + 1])
        if claim is not None:
            result[i] = claim
    return result


def claim(settings: WebSettings, submission_id: int, reviewer: str, take_over: bool = False) -> Claim | None:
    """Claim the case for ``reviewer`` (or extend their claim). Returns the claim in force
    afterwards: someone else's when they hold it and ``take_over`` is false."""
    key = _key(settings, submission_id)
    value = json.dumps({"reviewer": reviewer, "since": datetime.now(UTC).isoformat()})
    try:
        with _conn(settings) as conn:
            if take_over:
                conn.set(key, value, ex=settings.claim_s)
            elif not conn.set(key, value, ex=settings.claim_s, nx=True):
                current = get(settings, submission_id)
                if current is not None and current.held_by(reviewer):
                    conn.expire(key, settings.claim_s)
                elif current is None:  # expired in between
                    conn.set(key, value, ex=settings.claim_s, nx=True)
    except RedisError as exc:
        log.warning("claim not taken (%s)", exc)
        return None
    return get(settings, submission_id)


def release(settings: WebSettings, submission_id: int, reviewer: str | None = None) -> None:
    """Drop the claim (only ``reviewer``'s, when given)."""
    try:
        with _conn(settings) as conn:
            if reviewer is not None:
                current = get(settings, submission_id)
                if current is None or not current.held_by(reviewer):
                    return
            conn.delete(_key(settings, submission_id))
    except RedisError as exc:
        log.warning("claim not released (%s); it times out", exc)
