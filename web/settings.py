"""Settings of the web service, read from the environment when ``WebSettings.from_env()`` runs.

The database, Redis and storage are the workers' (``REDIS_URL``, ``DATABASE_URL``,
``VIDVERIFY_EVIDENCE_DIR``, ``VIDVERIFY_WORK_DIR``, ``VIDVERIFY_STORAGE_URL``): the web pages
look at the same submissions, and read the same files, as the workers. The web-only variables
are prefixed ``VIDVERIFY_WEB_``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel

from workers.config import Settings as WorkerSettings


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


class WebSettings(BaseModel):
    workers: WorkerSettings
    # Signs session cookies; without VIDVERIFY_WEB_SECRET every restart logs everyone out.
    secret_key: str
    # Checks the owners' status links (the workers sign them with the same secret).
    owner_secret: str = ""
    rate_limit_per_minute: int = 30  # API requests per token per minute
    login_per_minute: int = 10  # login attempts per account name, and per address, per minute
    session_max_age_s: int = 8 * 3600
    secure_cookies: bool = False  # set behind HTTPS
    refresh_s: int = 10  # the dashboard reloads itself this often
    max_body_bytes: int = 64 * 1024  # any request body; a submission is under 4 KB
    public_docs: bool = False  # /docs, /redoc and /openapi.json
    metrics_token: str | None = None  # /metrics for scrapers with this bearer token
    public_metrics: bool = False  # /metrics without a token (a private network only)
    # Proxies whose X-Forwarded-For is believed (uvicorn's --forwarded-allow-ips); none by default.
    forwarded_allow_ips: str = ""
    claim_s: int = 900  # a reviewer's claim on an opened case lasts this long

    @property
    def database_url(self) -> str:
        return self.workers.database_url

    @property
    def redis_url(self) -> str:
        return self.workers.redis_url

    @property
    def evidence_dir(self) -> Path:
        return self.workers.evidence_dir

    @property
    def work_dir(self) -> Path:
        return self.workers.work_dir

    @classmethod
    def from_env(cls) -> WebSettings:
        env = os.environ.get
        secret_key = env("VIDVERIFY_WEB_SECRET") or secrets.token_hex(32)
        return cls(
            workers=WorkerSettings.from_env(),
            secret_key=secret_key,
            owner_secret=env("VIDVERIFY_OWNER_LINK_SECRET") or secret_key,
            rate_limit_per_minute=_int("VIDVERIFY_WEB_RATE_PER_MINUTE", 30),
            login_per_minute=_int("VIDVERIFY_WEB_LOGIN_PER_MINUTE", 10),
            session_max_age_s=_int("VIDVERIFY_WEB_SESSION_MAX_AGE_S", 8 * 3600),
            secure_cookies=_flag("VIDVERIFY_WEB_SECURE_COOKIES"),
            refresh_s=_int("VIDVERIFY_WEB_REFRESH_S", 10),
            max_body_bytes=_int("VIDVERIFY_WEB_MAX_BODY_BYTES", 64 * 1024),
            public_docs=_flag("VIDVERIFY_WEB_PUBLIC_DOCS"),
            metrics_token=env("VIDVERIFY_WEB_METRICS_TOKEN") or None,
            public_metrics=_flag("VIDVERIFY_WEB_PUBLIC_METRICS"),
            forwarded_allow_ips=env("VIDVERIFY_WEB_FORWARDED_ALLOW_IPS", "").strip(),
            claim_s=_int("VIDVERIFY_WEB_CLAIM_S", 900),
        )
