"""Settings of the queue workers, read from the environment.

Every process (API, fetch worker, analysis worker, ``vidverify reap``) reads the same
variables, so one compose file or one shell profile configures the whole system. Values
are read when ``Settings.from_env()`` is called, not at import, so tests can change the
environment per test.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from workers.storage.keys import parse_storage_url


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _ints(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    return [int(x) for x in raw.split(",") if x.strip()]


class Settings(BaseModel):
    """Everything a worker, the reaper or the intake service needs to know."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = "sqlite:///vidverify.db"
    evidence_dir: Path = Path("evidence")
    # Downloads land here; fetch and analysis workers on different machines must share it,
    # unless storage_url is set (then both folders are only this machine's scratch space).
    work_dir: Path = Path("work")
    # s3://bucket/prefix: downloads, evidence and reports in S3-compatible object storage.
    storage_url: str | None = None
    s3_endpoint_url: str | None = None  # a server other than AWS (MinIO: http://minio:9000)
    keep_downloads: bool = False
    retention_days: int = 30  # evidence and kept downloads of finished submissions; 0 keeps all

    queue_prefix: str = "vidverify"
    fetch_timeout_s: int = 600
    analyse_timeout_s: int = 1800
    result_ttl_s: int = 86_400
    failure_ttl_s: int = 7 * 86_400

    fetch_retries: int = 3  # transient fetch faults retried this many times
    analyse_retries: int = 1  # unexpected analysis errors / timeouts
    retry_backoff_s: list[int] = Field(default_factory=lambda: [10, 60, 300])
    max_attempts: int = 5  # processing attempts (reaper restarts + retries) before giving up

    heartbeat_s: float = 5.0  # a running job writes heartbeat_at this often
    stale_after_s: float = 40.0  # no heartbeat for this long: the worker is presumed dead
    reap_interval_s: float = 15.0  # a worker runs the reaper and the outbox this often
    worker_ttl_s: int = 60  # RQ worker TTL; an idle worker heartbeats every worker_ttl_s - 15 s
    grace_s: float = 10.0  # a just-written queued/received row is not yet reaped

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "care-refresh@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 20.0
    # SMTP tries per e-mail, and the wait after each failed one (the last value repeats):
    # about five hours of mail server outage before an e-mail is given up.
    notify_max_tries: int = 12
    notify_backoff_s: list[int] = Field(default_factory=lambda: [10, 30, 60, 120, 300, 600, 1800, 3600])
    purchase_url: str = "https://store.dji.com/product/dji-care-refresh"

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value:
            parse_storage_url(value)  # a clear error at start-up, not at the first job
        return value or None

    @classmethod
    def from_env(cls) -> Settings:
        """Read the ``REDIS_URL``, ``DATABASE_URL`` and ``VIDVERIFY_*`` variables."""
        env = os.environ.get
        d = cls()
        return cls(
            redis_url=env("REDIS_URL") or d.redis_url,
            database_url=env("DATABASE_URL") or d.database_url,
            evidence_dir=Path(env("VIDVERIFY_EVIDENCE_DIR") or d.evidence_dir),
            work_dir=Path(env("VIDVERIFY_WORK_DIR") or d.work_dir),
            storage_url=env("VIDVERIFY_STORAGE_URL", "").strip() or None,
            s3_endpoint_url=env("VIDVERIFY_S3_ENDPOINT_URL", "").strip() or None,
            keep_downloads=env("VIDVERIFY_KEEP_DOWNLOADS", "") in ("1", "true", "yes"),
            retention_days=_int("VIDVERIFY_RETENTION_DAYS", d.retention_days),
            queue_prefix=env("VIDVERIFY_QUEUE_PREFIX") or d.queue_prefix,
            fetch_timeout_s=_int("VIDVERIFY_FETCH_TIMEOUT_S", d.fetch_timeout_s),
            analyse_timeout_s=_int("VIDVERIFY_ANALYSE_TIMEOUT_S", d.analyse_timeout_s),
            result_ttl_s=_int("VIDVERIFY_RESULT_TTL_S", d.result_ttl_s),
            failure_ttl_s=_int("VIDVERIFY_FAILURE_TTL_S", d.failure_ttl_s),
            fetch_retries=_int("VIDVERIFY_FETCH_RETRIES", d.fetch_retries),
            analyse_retries=_int("VIDVERIFY_ANALYSE_RETRIES", d.analyse_retries),
            retry_backoff_s=_ints("VIDVERIFY_RETRY_BACKOFF_S", d.retry_backoff_s),
            max_attempts=_int("VIDVERIFY_MAX_ATTEMPTS", d.max_attempts),
            heartbeat_s=_float("VIDVERIFY_HEARTBEAT_S", d.heartbeat_s),
            stale_after_s=_float("VIDVERIFY_STALE_AFTER_S", d.stale_after_s),
            reap_interval_s=_float("VIDVERIFY_REAP_INTERVAL_S", d.reap_interval_s),
            worker_ttl_s=max(20, _int("VIDVERIFY_WORKER_TTL_S", d.worker_ttl_s)),
            grace_s=_float("VIDVERIFY_REAP_GRACE_S", d.grace_s),
            smtp_host=env("VIDVERIFY_SMTP_HOST") or d.smtp_host,
            smtp_port=_int("VIDVERIFY_SMTP_PORT", d.smtp_port),
            smtp_from=env("VIDVERIFY_SMTP_FROM") or d.smtp_from,
            smtp_user=env("VIDVERIFY_SMTP_USER") or None,
            smtp_password=env("VIDVERIFY_SMTP_PASSWORD") or None,
            smtp_starttls=env("VIDVERIFY_SMTP_STARTTLS", "") in ("1", "true", "yes"),
            smtp_timeout_s=_float("VIDVERIFY_SMTP_TIMEOUT_S", d.smtp_timeout_s),
            notify_max_tries=_int("VIDVERIFY_NOTIFY_MAX_TRIES", d.notify_max_tries),
            notify_backoff_s=_ints("VIDVERIFY_NOTIFY_BACKOFF_S", d.notify_backoff_s),
            purchase_url=env("VIDVERIFY_PURCHASE_URL") or d.purchase_url,
        )

    def backoff(self, retry_number: int) -> int:
        """Seconds to wait before retry ``retry_number`` (1-based); the last value repeats."""
        if not self.retry_backoff_s:
            return 0
        return self.retry_backoff_s[min(retry_number, len(self.retry_backoff_s)) - 1]

    def notify_backoff(self, tries: int) -> int:
        """Seconds an e-mail waits after its ``tries``-th failed try (1-based)."""
        if not self.notify_backoff_s:
            return 0
        return self.notify_backoff_s[min(tries, len(self.notify_backoff_s)) - 1]
