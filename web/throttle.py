"""Login throttling that an attacker cannot turn against the account's owner.

Only failed attempts count, in fixed one-minute windows in Redis (shared by every web
process), in two kinds of bucket:
- per address: one machine guessing many names; the address is the TCP peer, or the
  ``X-Forwarded-For`` of a proxy listed in ``--forwarded-allow-ips`` only;
- per account *and* trust: a browser that once logged in to the account carries a signed
  device cookie (``vv_device``) and has a bucket of its own; everyone else shares the
  account's "untrusted" bucket.
So ten wrong passwords from rotating addresses lock out untrusted browsers for the account
(and each address), while the owner, on a browser that logged in before, still gets in.
Names are counted case- and space-folded (``OP``, `` op `` and ``op`` are one account).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from redis import Redis

DEVICE_COOKIE = "vv_device"
DEVICE_MAX_AGE_S = 180 * 24 * 3600


def fold(name: str) -> str:
    return name.strip().casefold()


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the folded account name, the address, and the device id the browser
    proved for this account (None when it proved none)."""

    name: str
    address: str
    device: str | None


class LoginThrottle:
    def __init__(self, redis: Redis, per_minute: int, secret: str, prefix: str) -> None:
        self.redis = redis
        self.per_minute = per_minute
        self.secret = secret
        self.prefix = prefix

    # ------------------------------------------------------------------ device cookies

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret.encode(), b"device:" + payload, hashlib.sha256).hexdigest()

    def device_cookie(self, name: str, device: str | None = None) -> str:
        expires = int(time.time()) + DEVICE_MAX_AGE_S
        data = {"n": fold(name), "d": device or secrets.token_hex(8), "exp": expires}
        payload = base64.urlsafe_b64encode(json.dumps(data).encode())
        return f"{payload.decode()}.{self._sign(payload)}"

    def device_of(self, name: str, cookie: str | None) -> str | None:
        """The device id a valid cookie proves for this account, else None."""
        if not cookie or "." not in cookie or len(cookie) > 500:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("n") != fold(name) or data.get("exp", 0) < time.time():
            return None
        return str(data.get("d") or "") or None

    # ------------------------------------------------------------------ counting

    def attempt(self, name: str, address: str, cookie: str | None) -> Attempt:
        return Attempt(name=fold(name), address=address, device=self.device_of(name, cookie))

    def _keys(self, attempt: Attempt) -> list[str]:
        window = int(time.time() // 60)
        trust = f"dev:{attempt.device}" if attempt.device else "untrusted"
        return [
            f"{self.prefix}:addr:{attempt.address}:{window}",
            f"{self.prefix}:name:{attempt.name}:{trust}:{window}",
        ]

    def wait(self, attempt: Attempt) -> int:
        """Seconds until this attempt may be made, 0 when it may be made now."""
        counts = self.redis.mget(self._keys(attempt))
        if any(int(c or 0) >= self.per_minute for c in counts):
            return max(1, int(60 - time.time() % 60))
        return 0

    def failed(self, attempt: Attempt) -> None:
        pipe = self.redis.pipeline()
        for key in self._keys(attempt):
            pipe.incr(key)
            pipe.expire(key, 120)
        pipe.execute()
