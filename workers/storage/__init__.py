"""Where a job's files live: the download, the evidence frames and the report.

Two stores, one interface (``workers.storage.base.Store``):

* ``VIDVERIFY_STORAGE_URL`` unset (the default): local folders, the evidence in
  ``VIDVERIFY_EVIDENCE_DIR`` and the downloads in ``VIDVERIFY_WORK_DIR``, exactly the files
  of a single-machine set-up before this layer existed;
* ``VIDVERIFY_STORAGE_URL=s3://bucket/prefix``: S3-compatible object storage, the evidence
  under ``prefix/evidence/`` and the downloads under ``prefix/downloads/``, so the API, fetch
  workers and analysis workers can run on machines that share no disk. The two folders are
  then only scratch space for the temporary files the pipeline works on.

Inside each store a submission's files are under ``submission-<id>/`` (see ``keys``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workers.storage.base import NotFound, StorageError, Store, content_type
from workers.storage.keys import (
    InvalidKey,
    attempt_prefix,
    is_key,
    parse_storage_url,
    submission_prefix,
    validate_key,
    within,
)
from workers.storage.local import LocalStore

if TYPE_CHECKING:
    from workers.config import Settings

__all__ = [
    "InvalidKey",
    "LocalStore",
    "NotFound",
    "Storage",
    "Store",
    "StorageError",
    "attempt_prefix",
    "content_type",
    "open_storage",
    "reset_storage",
    "stored_key",
    "submission_prefix",
    "validate_key",
]


@dataclass(frozen=True)
class Storage:
    """The evidence store and the downloads store of one configuration."""

    evidence: Store
    downloads: Store
    url: str | None = None  # VIDVERIFY_STORAGE_URL; None for the local folders

    @property
    def remote(self) -> bool:
        return self.url is not None


_opened: dict[tuple[object, ...], Storage] = {}


def open_storage(settings: Settings) -> Storage:
    """The storage ``settings`` describe; one per process and configuration (a fork, such as
    an RQ work horse, makes its own S3 client)."""
    ident = (
        os.getpid(),
        settings.storage_url,
        settings.s3_endpoint_url,
        str(settings.evidence_dir),
        str(settings.work_dir),
    )
    storage = _opened.get(ident)
    if storage is None:
        for stale in [k for k in _opened if k[0] != ident[0]]:
            del _opened[stale]
        storage = _opened[ident] = _build(settings)
    return storage


def _build(settings: Settings) -> Storage:
    if not settings.storage_url:
        return Storage(LocalStore(settings.evidence_dir), LocalStore(settings.work_dir))
    from workers.storage.s3 import S3Store, make_client

    bucket, prefix = parse_storage_url(settings.storage_url)
    client = make_client(settings.s3_endpoint_url)
    base = f"{prefix}/" if prefix else ""
    return Storage(
        S3Store(client, bucket, base + "evidence", scratch=settings.evidence_dir),
        S3Store(client, bucket, base + "downloads", scratch=settings.work_dir),
        url=settings.storage_url,
    )


def reset_storage() -> None:
    """Forget the opened stores (tests switch configurations between cases)."""
    _opened.clear()


def stored_key(store: Store, value: str | None, submission_id: int) -> str | None:
    """The key of the file a row or a report names, when it is a file of this submission in
    ``store``; None otherwise (so a report cannot point a page at another file).

    Rows and reports written since this layer name keys; older ones name local paths, which
    the local store still finds when they lie inside its folder."""
    if not value:
        return None
    prefix = submission_prefix(submission_id)
    if is_key(value) and within(value, prefix):
        return value
    if isinstance(store, LocalStore):
        key = store.key_of(value)
        if key is not None and within(key, prefix):
            return key
    return None
