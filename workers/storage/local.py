"""The local-folder store: what a single machine (or machines sharing one disk) uses.

Keys are paths under the store's root folder. ``scratch_folder`` and ``fetched`` hand out
the stored files themselves and ``put_file`` of a file already in place does nothing, so the
default set-up writes and reads exactly the files it did before there was a storage layer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from workers.storage.base import CHUNK, NotFound, StorageError, Store
from workers.storage.keys import InvalidKey, validate_key


class LocalStore(Store):
    remote = False

    def __init__(self, root: Path, scratch: Path | None = None) -> None:
        super().__init__(scratch or root)
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file a key names; ``InvalidKey`` for a key that would leave the root (a
        symbolic link inside pointing out, too)."""
        path = self.root / validate_key(key)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise InvalidKey(f"{key!r} leads outside the store")
        return path

    def key_of(self, path: str | Path) -> str | None:
        """The key of a file under the root given by its path (reports written before the
        storage layer name their frames by path), None when it is not under the root."""
        try:
            relative = Path(path).resolve().relative_to(self.root.resolve())
        except (ValueError, OSError):
            return None
        key = relative.as_posix()
        try:
            return validate_key(key)
        except InvalidKey:
            return None

    def _write(self, key: str, write: Callable[[BinaryIO], object]) -> None:
        dest = self.path(key)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=dest.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    write(out)
                os.replace(tmp, dest)  # readers see the old file or the whole new one
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(f"cannot write {dest}: {exc}") from exc

    def put_file(self, key: str, path: Path) -> None:
        dest = self.path(key)
        if dest.exists() and Path(path).resolve() == dest.resolve():
            return  # written in place (scratch_folder is the store's own folder)
        with open(path, "rb") as src:
            self._write(key, lambda out: shutil.copyfileobj(src, out, CHUNK))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write(key, lambda out: out.write(data))

    def get_file(self, key: str, dest: Path) -> None:
        src = self.path(key)
        if not src.is_file():
            raise NotFound(f"no file {src}")
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self.path(key)
        if not path.is_file():
            raise NotFound(f"no file {path}")
        return self._chunks(path, start, end)

    @staticmethod
    def _chunks(path: Path, start: int, end: int | None) -> Iterator[bytes]:
        with open(path, "rb") as f:
            f.seek(start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                data = f.read(CHUNK if left is None else min(CHUNK, left))
                if not data:
                    return
                if left is not None:
                    left -= len(data)
                yield data

    def list_keys(self, prefix: str) -> list[str]:
        folder = self.path(prefix)
        if not folder.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in folder.rglob("*") if p.is_file())
        return sorted(k for k in found if not k.rsplit("/", 1)[-1].startswith(".part-"))

    def delete_prefix(self, prefix: str) -> int:
        folder = self.path(prefix)
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def location(self, key: str) -> str:
        return str(self.path(key))

    def local_path(self, key: str) -> Path | None:
        path = self.path(key)
        return path if path.is_file() else None

    @contextlib.contextmanager
    def scratch_folder(self, prefix: str) -> Iterator[Path]:
        """The store's own folder for ``prefix``: what is written there is already stored."""
        folder = self.path(prefix)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder

    @contextlib.contextmanager
    def fetched(self, key: str) -> Iterator[Path]:
        """The stored file itself (no copy)."""
        path = self.local_path(key)
        if path is None:
            raise NotFound(f"no file {self.path(key)}")
        yield path
