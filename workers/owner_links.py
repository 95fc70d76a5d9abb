"""The signed link in each e-mail to an owner: it opens the owner's status page (no account).

The link carries the submission id and an HMAC of it, so it cannot be guessed for another
submission. The web service checks it with the same secret: ``VIDVERIFY_OWNER_LINK_SECRET``,
or ``VIDVERIFY_WEB_SECRET`` when that is unset. ``VIDVERIFY_PUBLIC_URL`` is the address the
owners reach the web service at; without it (or without a secret) e-mails carry no link.
The line that carries it is written in the owner's language by ``workers.mail``.
"""

from __future__ import annotations

import hashlib
import hmac
import os


def secret_from_env() -> str | None:
    return os.environ.get("VIDVERIFY_OWNER_LINK_SECRET") or os.environ.get("VIDVERIFY_WEB_SECRET") or None


def token(submission_id: int, secret: str) -> str:
    return hmac.new(secret.encode(), f"owner:{submission_id}".encode(), hashlib.sha256).hexdigest()[:32]


def valid(submission_id: int, given: str, secret: str) -> bool:
    return hmac.compare_digest(given.encode(), token(submission_id, secret).encode())


def link(submission_id: int) -> str | None:
    """The status page's address for this submission, or None when not configured."""
    base = (os.environ.get("VIDVERIFY_PUBLIC_URL") or "").rstrip("/")
    secret = secret_from_env()
    if not base or not secret:
        return None
    return f"{base}/status/{submission_id}/{token(submission_id, secret)}"
