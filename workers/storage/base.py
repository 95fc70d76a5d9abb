"""The one storage interface every job and page goes through: a few verbs on keys.

A ``Store`` is one area of files (the evidence, or the downloads). The pipeline still works
on local files; ``scratch`` gives it a folder to write into and ``fetched`` a local copy to
read, and a store decides what that costs: the local folder hands out its own files (so a
single machine copies nothing, as before), object storage uses temporary files.
"""

from __future__ import annotations

import contextlib
import mimetypes
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from workers.storage.keys import validate_key

CHUNK = 256 * 1024


class StorageError(Exception):
    """The store could not be read or written (unreachable, refused): worth trying again."""


class NotFound(StorageError):
    """No file at that key."""


def content_type(key: str) -> str:
    """The media type a key's name implies (``image/jpeg`` for a frame)."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class Store(ABC):
    """One area of stored files, addressed by keys (see ``workers.storage.keys``)."""

    #: True when the files live elsewhere (object storage): other machines see them.
    remote: bool = False

    def __init__(self, scratch: Path) -> None:
        self.scratch = Path(scratch)  # local temporary files go under this folder

    # ------------------------------------------------------------------ the verbs

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Store the local file ``path`` at ``key`` (replacing what was there)."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key``."""

    @abstractmethod
    def get_file(self, key: str, dest: Path) -> None:
        """Copy the file at ``key`` to the local path ``dest``; ``NotFound`` if there is none."""

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The size in bytes of the file at ``key``, None when there is none."""

    @abstractmethod
    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``start``..``end`` (inclusive; None: to the end) of the file, in chunks."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """The keys under the folder-like ``prefix``, sorted."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every file under the folder-like ``prefix``; returns how many went."""

    @abstractmethod
    def location(self, key: str) -> str:
        """Where ``key`` is, for people: a path or an ``s3://`` URL."""

    # ------------------------------------------------------------------ built on them

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.iter_bytes(key))

    def local_path(self, key: str) -> Path | None:
        """The file itself when this store keeps it on this machine's disk, else None."""
        return None

    def put_tree(self, prefix: str, folder: Path) -> list[str]:
        """Store every file under ``folder`` at ``prefix/<its relative path>``; their keys."""
        stored = []
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            key = validate_key(f"{prefix}/{path.relative_to(folder).as_posix()}")
            self.put_file(key, path)
            stored.append(key)
        return stored

    @contextlib.contextmanager
    def scratch_folder(self, prefix: str) -> Iterator[Path]:
        """A local folder to write the files of ``prefix`` into before ``put_file``: a fresh
        temporary folder, removed afterwards."""
        validate_key(prefix)
        self.scratch.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="vv-", dir=self.scratch))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def fetched(self, key: str) -> Iterator[Path]:
        """A local file with the content of ``key`` for the time of the ``with``
        (``NotFound`` when there is none)."""
        validate_key(key)
        self.scratch.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="vv-get-", dir=self.scratch))
        try:
            dest = folder / key.rsplit("/", 1)[-1]
            self.get_file(key, dest)
            yield dest
        finally:
            shutil.rmtree(folder, ignore_errors=True)
